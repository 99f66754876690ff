// "Keep film grain" (src/core/restore/grain.ts) on real photos: grain of a known strength, coarseness and colour is put
// on a clean photo; measuring it against the clean photo finds those values, and grain added back to the clean photo
// has them again; a black-and-white photo gets grey grain; 16-bit works; the photo's own content is not moved.
import { describe, expect, it } from 'vitest';
import { addGrain, BANDS, measureGrain } from '../../src/core/restore/grain';
import { crops, loadRgb, type RawImage } from './restore-helpers';

/** Seeded film-like grain: white noise blurred by a Gaussian of width `size`, spread `sigma` (of 1), optionally grey. */
function filmGrain(img: RawImage, sigma: number, size: number, grey: boolean, seed = 3): RawImage {
  const { width: w, height: h } = img;
  let s = seed;
  const rand = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 4294967296);
  const gauss = () => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
  const r = Math.ceil(3 * size);
  const k = Array.from({ length: 2 * r + 1 }, (_, i) => Math.exp(-((i - r) ** 2) / (2 * size * size)));
  const norm = 1 / k.reduce((a, v) => a + v * v, 0);
  const planes = grey ? 1 : 3;
  const noise = Array.from({ length: planes }, () => {
    const raw = Float32Array.from({ length: (w + 2 * r) * (h + 2 * r) }, gauss);
    const bw = w + 2 * r;
    const a = new Float32Array(w * (h + 2 * r));
    for (let y = 0; y < h + 2 * r; y++) for (let x = 0; x < w; x++) a[y * w + x] = k.reduce((t, v, j) => t + v * raw[y * bw + x + j], 0);
    const out = new Float32Array(w * h);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) out[y * w + x] = k.reduce((t, v, j) => t + v * a[(y + j) * w + x], 0) * norm;
    return out;
  });
  const rgb = new Uint8Array(img.rgb.length);
  for (let i = 0; i < w * h; i++) {
    for (let c = 0; c < 3; c++) {
      const n = noise[grey ? 0 : c][i];
      rgb[i * 3 + c] = Math.max(0, Math.min(255, Math.round(img.rgb[i * 3 + c] + 255 * sigma * n)));
    }
  }
  return { ...img, rgb };
}

function greyOf(img: RawImage): RawImage {
  const rgb = new Uint8Array(img.rgb.length);
  for (let i = 0; i < rgb.length; i += 3) {
    const y = Math.round(0.299 * img.rgb[i] + 0.587 * img.rgb[i + 1] + 0.114 * img.rgb[i + 2]);
    rgb[i] = rgb[i + 1] = rgb[i + 2] = y;
  }
  return { ...img, rgb };
}

const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;

describe('keep film grain', () => {
  it('measures the strength and coarseness of grain that was removed, and adds back grain like it', async () => {
    const clean = await loadRgb(crops(1)[0]);
    const grainy = filmGrain(greyOf(clean), 0.03, 1.2, true);
    const g = measureGrain(grainy, greyOf(clean), 1);
    expect(g.sigma).toHaveLength(BANDS);
    // the mid-tone bands hold most pixels: their spread is the grain's (clipping shrinks it only at the ends)
    const mid = g.sigma.slice(2, 6);
    for (const s of mid) expect(s).toBeGreaterThan(0.022);
    for (const s of mid) expect(s).toBeLessThan(0.036);
    expect(g.size).toBeGreaterThan(0.8);
    expect(g.size).toBeLessThan(1.7);
    expect(g.chroma).toBe(0); // a black-and-white photo: grey grain

    const back = addGrain({ ...greyOf(clean), rgb: greyOf(clean).rgb.slice() }, g);
    for (let i = 0; i < back.rgb.length; i += 3) {
      expect(back.rgb[i + 1]).toBe(back.rgb[i]);
      expect(back.rgb[i + 2]).toBe(back.rgb[i]);
    }
    const again = measureGrain(back, greyOf(clean), 1);
    expect(mean(again.sigma.slice(2, 6))).toBeCloseTo(mean(mid), 2);
    expect(Math.abs(again.size - g.size)).toBeLessThan(0.3);
    // the picture is still the picture: its mean is not moved, and it differs from the input only by the grain
    const m = (x: RawImage) => mean(Array.from(x.rgb.subarray(0, 30000)));
    expect(Math.abs(m(back) - m(greyOf(clean)))).toBeLessThan(1);
  });

  it('measures coloured grain as coloured, fine grain as fine, and finds nothing when nothing was removed', async () => {
    const clean = await loadRgb(crops(2)[1]);
    const g = measureGrain(filmGrain(clean, 0.02, 0.3, false), clean, 1);
    expect(g.chroma).toBeGreaterThan(0.6); // independent per channel: the chroma spread is near the luma's
    expect(g.size).toBeLessThan(0.6);
    const none = measureGrain(clean, clean);
    expect(Math.max(...none.sigma)).toBe(0);
    const same = { ...clean, rgb: clean.rgb.slice() };
    addGrain(same, none);
    expect(Buffer.compare(Buffer.from(same.rgb), Buffer.from(clean.rgb))).toBe(0);
  });

  it('a toned (sepia) print gets grey grain: its hue follows its brightness, so it is not a colour photo', async () => {
    const clean = greyOf(await loadRgb(crops(1)[0]));
    const sepia = (x: RawImage): RawImage => ({ ...x, rgb: Uint8Array.from(x.rgb, (v, i) => Math.round(v * [1, 0.86, 0.68][i % 3])) });
    const g = measureGrain(filmGrain(sepia(clean), 0.03, 0.8, false), sepia(clean), 1);
    expect(g.sigma[3]).toBeGreaterThan(0.01);
    expect(g.chroma).toBe(0);
    const ref = sepia(clean);
    const back = addGrain(sepia(clean), g);
    // the grain is the same in every channel: the hue of each pixel moves by rounding only
    let off = 0;
    for (let i = 0; i < back.rgb.length; i += 3) off = Math.max(off, Math.abs(back.rgb[i] - back.rgb[i + 1] - (ref.rgb[i] - ref.rgb[i + 1])));
    expect(off).toBeLessThanOrEqual(2);
  });

  it('works on 16-bit photos, and the same photo always gets the same grain', async () => {
    const clean = await loadRgb(crops(1)[0]);
    const to16 = (x: RawImage) => ({ ...x, bitDepth: 16 as const, rgb: Uint16Array.from(x.rgb, (v) => v * 257) });
    const g = measureGrain(to16(filmGrain(clean, 0.03, 1, false)), to16(clean), 1);
    // independent per channel: the luma residual's spread is 0.03 x |(0.299, 0.587, 0.114)| = 0.020
    expect(g.sigma[4]).toBeGreaterThan(0.016);
    expect(g.sigma[4]).toBeLessThan(0.024);
    const a = addGrain(to16(clean), g);
    const b = addGrain(to16(clean), g);
    expect(a.rgb).toEqual(b.rgb);
    expect(a.rgb.some((v, i) => v !== clean.rgb[i] * 257)).toBe(true);
  });
});
