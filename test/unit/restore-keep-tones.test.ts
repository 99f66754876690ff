// "Keep the photo's tones" (src/core/restore/keep-tones.ts) on a real photo, with the network's change made by hand:
// a shift of brightness or colour over the photo is cut to the limit; a removed speck, zero-mean noise and a sharpened
// edge pass; the output's stride and padding are honoured; a tile and the whole photo agree away from the tile's edge.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { KEEP_TONES_LIMIT, keepTones, keepTonesScratch } from '../../src/core/restore/keep-tones';
import { CROPS } from '../helpers/photos';
import { loadRgb } from './restore-helpers';

/** The photo as planar [3, h, w] float in [0, 1]. */
async function planarPhoto(): Promise<{ x: Float32Array; w: number; h: number }> {
  const img = await loadRgb(path.join(CROPS, 'crop-1.png'));
  const { width: w, height: h } = img;
  const x = new Float32Array(3 * w * h);
  for (let i = 0; i < w * h; i++) for (let c = 0; c < 3; c++) x[c * w * h + i] = img.rgb[i * 3 + c] / 255;
  return { x, w, h };
}

function run(out: Float32Array, x: Float32Array, w: number, h: number, stride = w, outH = h): Float32Array {
  keepTones(out, stride, outH, x, w, h, new Float32Array(keepTonesScratch(w, h)));
  return out;
}

/** Length of the RGB change at pixel i (planar, plane size n), in 8-bit levels. */
const change = (a: Float32Array, b: Float32Array, i: number, n: number) =>
  255 * Math.hypot(a[i] - b[i], a[n + i] - b[n + i], a[2 * n + i] - b[2 * n + i]);

function seeded(seed: number) {
  let s = seed;
  const rand = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 4294967296);
  return () => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
}

describe('keepTones', () => {
  it('cuts a shift of brightness and colour over the photo to the limit', async () => {
    const { x, w, h } = await planarPhoto();
    const n = w * h;
    const y = x.map((v, i) => v + (i < n ? 20 : i < 2 * n ? -12 : 5) / 255); // brighter, less green: a "correction"
    run(y, x, w, h);
    for (let i = 0; i < n; i += 97) expect(change(y, x, i, n)).toBeCloseTo(KEEP_TONES_LIMIT * 255, 3);
  });

  it('leaves a shift under the limit, a removed speck, zero-mean noise and a sharpened edge as they were', async () => {
    const { x, w, h } = await planarPhoto();
    const n = w * h;
    // under the limit (1.5 levels in each channel, 2.6 as a length): untouched, bit for bit
    const small = x.map((v) => v + 1.5 / 255);
    const kept = run(small.slice(), x, w, h);
    expect(kept.every((v, i) => v === small[i])).toBe(true);
    // a speck of 100 levels that the network removed: a 2 x 2 one stays removed; of a 3 x 3 one a faint blur of a
    // few levels comes back (larger specks are the scratch stage's, which runs before the network)
    const speck = (size: number) => {
      const dirty = x.slice();
      for (let dy = 0; dy < size; dy++) for (let dx = 0; dx < size; dx++) for (let c = 0; c < 3; c++) dirty[c * n + (150 + dy) * w + 200 + dx] -= 100 / 255;
      const cleaned = run(x.slice(), dirty, w, h); // the network's output is the photo without the speck
      let worst = 0;
      for (let i = 0; i < n; i++) worst = Math.max(worst, change(cleaned, x, i, n));
      return worst;
    };
    expect(speck(2)).toBeLessThan(0.5);
    expect(speck(3)).toBeLessThan(5);
    // zero-mean noise the network removed (sigma 25): the noise stays removed, a level or two of its broad part aside
    const g = seeded(7);
    const noisy = x.map((v) => v + (25 / 255) * g());
    const denoised = run(x.slice(), noisy, w, h);
    let sq = 0;
    for (let i = 0; i < 3 * n; i++) sq += (denoised[i] - x[i]) ** 2;
    expect(255 * Math.sqrt(sq / (3 * n))).toBeLessThan(0.5);
    // an unsharp mask (zero mean over any area): passes
    const blurred = x.slice();
    const at = (c: number, yy: number, xx: number) => x[c * n + Math.min(h - 1, Math.max(0, yy)) * w + Math.min(w - 1, Math.max(0, xx))];
    for (let c = 0; c < 3; c++) {
      for (let yy = 0; yy < h; yy++) {
        for (let xx = 0; xx < w; xx++) {
          blurred[c * n + yy * w + xx] = (at(c, yy, xx - 1) + at(c, yy, xx + 1) + at(c, yy - 1, xx) + at(c, yy + 1, xx) + 4 * at(c, yy, xx)) / 8;
        }
      }
    }
    const sharp = run(x.slice(), blurred, w, h);
    let moved = 0;
    for (let i = 0; i < 3 * n; i++) moved = Math.max(moved, Math.abs(sharp[i] - x[i]) * 255);
    expect(moved).toBeLessThan(1);
  });

  it('reads the output with its stride and padding, and a tile agrees with the whole photo inside its edges', async () => {
    const { x, w, h } = await planarPhoto();
    const n = w * h;
    const shift = (v: number, i: number) => v + (i < n ? 30 : 0) / 255 + 0.03 * Math.sin(i / 50);
    const whole = run(x.map(shift), x, w, h);
    // the left 256 x 200 of the photo as a tile, padded to 264 x 208 as the network's output would be
    const tw = 256, th = 200, pw = 264, ph = 208;
    const tx = new Float32Array(3 * tw * th);
    const ty = new Float32Array(3 * pw * ph).fill(9); // the padding holds nonsense the function must not read
    for (let c = 0; c < 3; c++) {
      for (let yy = 0; yy < th; yy++) {
        for (let xx = 0; xx < tw; xx++) {
          const i = c * n + yy * w + xx;
          tx[c * tw * th + yy * tw + xx] = x[i];
          ty[c * pw * ph + yy * pw + xx] = shift(x[i], i);
        }
      }
    }
    run(ty, tx, tw, th, pw, ph);
    let diff = 0;
    for (let c = 0; c < 3; c++) {
      for (let yy = 0; yy < th - 32; yy++) {
        for (let xx = 0; xx < tw - 32; xx++) diff = Math.max(diff, Math.abs(ty[c * pw * ph + yy * pw + xx] - whole[c * n + yy * w + xx]));
      }
      expect(ty[c * pw * ph + pw - 1]).toBe(9); // the padding is left alone
    }
    expect(diff * 255).toBeLessThan(0.01);
  });
});
