// The tone mapping (src/shared/tone.ts), shared by the engine's tone stage and the renderer's live preview: applying
// it to 8- and 16-bit pixels, alpha, strength, grey in grey out, and what kind of print a thumbnail shows.
import { describe, expect, it } from 'vitest';
import {
  applicationFor,
  applyToneMapping,
  buildMapping,
  curveAt,
  detectPrint,
  fitLumaCurve,
  identityMapping,
  poolPlanar,
  summarise,
  withMode,
  type Planar,
  type ToneMapping,
} from '../../src/shared/tone';
import { downscalePlanar } from '../../src/core/image/planar';
import { crops, loadRgb } from './restore-helpers';

/** A faded-print fix: lift contrast per channel (black 40 -> 0, white 200 -> 255 on red; other channels milder). */
function stretch(): ToneMapping {
  const m = identityMapping();
  m.curves = [
    { x: [40 / 255, 200 / 255], y: [0, 1] },
    { x: [0.1, 0.5, 0.9], y: [0.05, 0.5, 0.95] },
    { x: [0, 1], y: [0, 0.9] },
  ];
  m.affine = [0.9, 0.1, 0, 0, 0, 1, 0, 0.02, 0.05, 0, 0.95, 0];
  m.luma = { x: [0.2, 0.8], y: [0.1, 0.9] };
  return m;
}

function randomPixels(n: number, channels: 3 | 4, max: number, seed = 1): Uint16Array {
  const a = new Uint16Array(n * channels);
  let s = seed;
  for (let i = 0; i < a.length; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    a[i] = (s >>> 8) % (max + 1);
  }
  return a;
}

function planarOf(px: ArrayLike<number>, w: number, h: number, max: number): Planar {
  const n = w * h;
  const data = new Float32Array(3 * n);
  for (let i = 0; i < n; i++) for (let c = 0; c < 3; c++) data[c * n + i] = px[3 * i + c] / max;
  return { width: w, height: h, data };
}

describe('tone mapping: curves', () => {
  it('is linear between knots and has slope 1 beyond the ends', () => {
    const c = { x: [0.2, 0.6], y: [0.1, 0.9] };
    expect(curveAt(c, 0.4)).toBeCloseTo(0.5, 12);
    expect(curveAt(c, 0.1)).toBeCloseTo(0.0, 12);
    expect(curveAt(c, 0.7)).toBeCloseTo(1.0, 12);
    // repeated knots (a flat stretch of the histogram) do not divide by zero
    expect(curveAt({ x: [0.3, 0.3, 0.5], y: [0.2, 0.4, 0.6] }, 0.3)).toBeCloseTo(0.4, 12);
  });
});

describe('tone mapping: applying', () => {
  it('the identity leaves 8- and 16-bit pixels exactly as they were', () => {
    for (const max of [255, 65535]) {
      const src = randomPixels(5000, 3, max);
      const dst = new Uint16Array(src.length);
      applyToneMapping(src, dst, 3, max, identityMapping(), 1);
      expect([...dst]).toEqual([...src]);
    }
  });

  it('8 and 16 bit give the same result (within one 8-bit level) and strength 0 is the input', () => {
    const m = stretch();
    const src8 = randomPixels(20000, 3, 255, 7);
    const src16 = src8.map((v) => v * 257);
    const out8 = new Uint8Array(src8.length);
    const out16 = new Uint16Array(src16.length);
    applyToneMapping(src8, out8, 3, 255, m, 1);
    applyToneMapping(src16, out16, 3, 65535, m, 1);
    let worst = 0;
    let changed = 0;
    for (let i = 0; i < src8.length; i++) {
      worst = Math.max(worst, Math.abs(out16[i] / 257 - out8[i]));
      if (out8[i] !== src8[i]) changed++;
    }
    expect(worst).toBeLessThanOrEqual(1);
    expect(changed).toBeGreaterThan(src8.length / 2);
    const same = new Uint8Array(src8.length);
    applyToneMapping(src8, same, 3, 255, m, 0);
    expect([...same]).toEqual([...src8]);
  });

  it('strength blends the pixels linearly and the amount scales the strength', () => {
    const m = stretch();
    const src = randomPixels(3000, 3, 65535, 3);
    const full = new Uint16Array(src.length);
    const half = new Uint16Array(src.length);
    applyToneMapping(src, full, 3, 65535, m, 1);
    applyToneMapping(src, half, 3, 65535, m, 0.5);
    for (let i = 0; i < src.length; i++) expect(Math.abs(half[i] - (src[i] + full[i]) / 2)).toBeLessThanOrEqual(1);
    const quarter = new Uint16Array(src.length);
    applyToneMapping(src, quarter, 3, 65535, { ...m, amount: 0.5 }, 0.5);
    const q2 = new Uint16Array(src.length);
    applyToneMapping(src, q2, 3, 65535, m, 0.25);
    expect([...quarter]).toEqual([...q2]);
  });

  it('keeps the alpha of RGBA pixels and can work in place', () => {
    const m = stretch();
    const src = randomPixels(4000, 4, 255, 5);
    const copy = src.slice();
    const out = new Uint8ClampedArray(src.length);
    applyToneMapping(src, out, 4, 255, m, 1);
    for (let i = 3; i < src.length; i += 4) expect(out[i]).toBe(src[i]);
    // RGB of RGBA equals RGB of the same pixels as plain RGB
    const rgb = new Uint16Array((src.length / 4) * 3);
    for (let p = 0; p < src.length / 4; p++) for (let c = 0; c < 3; c++) rgb[3 * p + c] = src[4 * p + c];
    const outRgb = new Uint16Array(rgb.length);
    applyToneMapping(rgb, outRgb, 3, 255, m, 1);
    for (let p = 0; p < src.length / 4; p++) for (let c = 0; c < 3; c++) expect(out[4 * p + c]).toBe(outRgb[3 * p + c]);
    applyToneMapping(copy, copy, 4, 255, m, 1);
    expect([...copy]).toEqual([...out]);
  });

  it('grey in, grey out: the keep and neutral applications never give a grey pixel colour', () => {
    const m = stretch();
    const grey = new Uint16Array(3 * 1000);
    for (let p = 0; p < 1000; p++) grey[3 * p] = grey[3 * p + 1] = grey[3 * p + 2] = (p * 65) % 65536;
    for (const apply of ['keep', 'neutral'] as const) {
      const out = new Uint16Array(grey.length);
      applyToneMapping(grey, out, 3, 65535, { ...m, apply }, 1);
      let moved = 0;
      for (let p = 0; p < 1000; p++) {
        expect(out[3 * p]).toBe(out[3 * p + 1]);
        expect(out[3 * p + 1]).toBe(out[3 * p + 2]);
        if (out[3 * p] !== grey[3 * p]) moved++;
      }
      expect(moved).toBeGreaterThan(500); // the levels did change
    }
  });

  it('keep adds the same change to every channel (a toned print keeps its tone), neutral makes it grey', () => {
    const m = { ...stretch(), apply: 'keep' as const };
    const sepia = new Uint16Array([200, 170, 120, 100, 80, 50]);
    const out = new Uint16Array(6);
    applyToneMapping(sepia, out, 3, 255, m, 1);
    expect(out[0] - out[1]).toBeCloseTo(sepia[0] - sepia[1], -0.5);
    expect(out[1] - out[2]).toBeCloseTo(sepia[1] - sepia[2], -0.5);
    applyToneMapping(sepia, out, 3, 255, { ...m, apply: 'neutral' }, 1);
    expect(out[0]).toBe(out[1]);
    expect(out[1]).toBe(out[2]);
  });
});

describe('tone mapping: what kind of print', () => {
  const grey = (p: Planar): Planar => {
    const n = p.width * p.height;
    const d = new Float32Array(3 * n);
    for (let i = 0; i < n; i++) {
      const y = 0.299 * p.data[i] + 0.587 * p.data[n + i] + 0.114 * p.data[2 * n + i];
      d[i] = y * 1.07;
      d[n + i] = y * 0.95;
      d[2 * n + i] = y * 0.74;
    }
    return { ...p, data: d };
  };

  it('tells colour, toned (sepia) and grey photos apart on real photos', async () => {
    const img = await loadRgb(crops(1)[0]);
    const t = downscalePlanar(img, 256);
    expect(detectPrint(t)).toBe('colour');
    const sepia = grey(t);
    expect(detectPrint(sepia)).toBe('toned');
    const n = t.width * t.height;
    const g = new Float32Array(3 * n);
    for (let i = 0; i < n; i++) g[i] = g[n + i] = g[2 * n + i] = sepia.data[n + i];
    expect(detectPrint({ ...t, data: g })).toBe('grey');
  });

  it('modes: grey prints always neutral; toned keep unless neutral; colour photos colour unless keep', () => {
    expect(['auto', 'neutral', 'keep'].map((m) => applicationFor('grey', m as 'auto'))).toEqual(['neutral', 'neutral', 'neutral']);
    expect(['auto', 'neutral', 'keep'].map((m) => applicationFor('toned', m as 'auto'))).toEqual(['keep', 'neutral', 'keep']);
    expect(['auto', 'neutral', 'keep'].map((m) => applicationFor('colour', m as 'auto'))).toEqual(['colour', 'colour', 'keep']);
    const m = withMode({ ...identityMapping(), detected: 'toned' }, 'neutral');
    expect(m.apply).toBe('neutral');
  });

  it('the luma curve of a mapping follows what it does to brightness, non-decreasing', async () => {
    const img = await loadRgb(crops(2)[1]);
    const t = poolPlanar(downscalePlanar(img, 256), 64);
    const m = stretch();
    const luma = fitLumaCurve(t, m);
    for (let k = 1; k < luma.y.length; k++) expect(luma.y[k]).toBeGreaterThanOrEqual(luma.y[k - 1]);
    // on the thumbnail's own pixels, the luma curve predicts the mapped luma closely
    const n = t.width * t.height;
    let err = 0;
    const px = new Float32Array(3);
    for (let i = 0; i < n; i++) {
      const r = t.data[i];
      const g = t.data[n + i];
      const b = t.data[2 * n + i];
      const src = new Float32Array([Math.round(r * 255), Math.round(g * 255), Math.round(b * 255)]);
      applyToneMapping(src, px, 3, 255, m, 1);
      const yo = (0.299 * px[0] + 0.587 * px[1] + 0.114 * px[2]) / 255;
      err += Math.abs(curveAt(luma, (0.299 * src[0] + 0.587 * src[1] + 0.114 * src[2]) / 255) - yo);
    }
    expect(err / n).toBeLessThan(0.03);
  });

  it('buildMapping and summarise: the summary reports the levels and the cast the mapping removes', () => {
    const px = randomPixels(64 * 64, 3, 255, 11).map((v, i) => (i % 3 === 2 ? v * 0.6 : v * 0.8 + 30));
    const t = planarOf(px, 64, 64, 255);
    const k = 2;
    const m = buildMapping(t, { affine: stretch().affine, knotsX: [0, 1, 0, 1, 0, 1], knotsY: [0, 1, 0, 1, 0, 1.2], amount: 0.8 }, 'auto');
    expect(m.curves[2]).toEqual({ x: [0, 1], y: [0, 1.2] });
    expect(m.curves.length * k).toBe(6);
    expect(m.detected).toBe('colour');
    const s = summarise(t, m, 0.5);
    expect(s.applied).toBeCloseTo(0.4, 6);
    expect(s.black[0]).toBeGreaterThan(25);
    expect(s.white[2]).toBeLessThan(160);
    expect(s.cast.every(Number.isFinite)).toBe(true);
  });
});
