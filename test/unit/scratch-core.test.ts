// The scratch stage's plain parts: the sensitivity's threshold, the mask's growth, the tiling that lets every window
// write only its own part (each pixel written exactly once), and mask files (read back as written; wrong sizes and
// non-masks refused with words).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { dilate, maskFromProb, maskStats, maxUpsampled, ownPart, thresholdFor } from '../../src/core/scratch/scratch';
import { maskTarget, readMask, writeMask } from '../../src/core/scratch/mask-file';
import { planTiles, tilesOf } from '../../src/core/restore/tiling';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'revive-scratch-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function naiveDilate(bin: Uint8Array, w: number, h: number, r: number): Uint8Array {
  const out = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let v = 0;
      for (let dy = -r; dy <= r && !v; dy++) {
        for (let dx = -r; dx <= r && !v; dx++) {
          const yy = y + dy;
          const xx = x + dx;
          if (yy >= 0 && yy < h && xx >= 0 && xx < w && bin[yy * w + xx]) v = 1;
        }
      }
      out[y * w + x] = v;
    }
  }
  return out;
}

describe('scratch mask', () => {
  it('the threshold falls as the sensitivity rises, 0.85 at the default', () => {
    expect(thresholdFor(0.5)).toBe(Math.round(255 * 0.85));
    expect(thresholdFor(0)).toBeGreaterThan(thresholdFor(0.3));
    expect(thresholdFor(0.3)).toBeGreaterThan(thresholdFor(0.7));
    expect(thresholdFor(1)).toBeGreaterThan(0); // never "everything"
    expect(thresholdFor(2)).toBe(thresholdFor(1));
  });

  it('dilation equals the naive square neighbourhood for several radii and shapes', () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    for (const [w, h] of [[1, 1], [5, 3], [17, 11], [40, 9]]) {
      const bin = new Uint8Array(w * h).map(() => (rand() < 0.08 ? 1 : 0));
      for (const r of [0, 1, 2, 5]) expect(Array.from(dilate(bin, w, h, r))).toEqual(Array.from(naiveDilate(bin, w, h, r)));
    }
  });

  it('marks the pixels at or above the threshold, grown by one pixel', () => {
    const w = 7;
    const h = 5;
    const prob = new Uint8Array(w * h);
    prob[2 * w + 3] = 240; // one sure pixel in the middle
    prob[0] = 100; // below the default threshold, above the most sensitive one
    const m = maskFromProb(prob, w, h, thresholdFor(0.5));
    expect(maskStats(m).pixels).toBe(9);
    expect(m[0]).toBe(0);
    expect(maskStats(maskFromProb(prob, w, h, thresholdFor(1))).pixels).toBe(9 + 4);
  });
});

describe('the coarse pass', () => {
  it('is upsampled bilinearly (align_corners false) and counts only where it is higher', () => {
    const small = Uint8Array.from([0, 200, 0, 200]); // 2 x 2: left column 0, right column 200
    const dst = new Uint8Array(8 * 2);
    dst[0] = 90; // higher than the coarse value there (0): kept
    maxUpsampled(dst, 8, 2, small, 2, 2);
    // output x -> source (x + 0.5) / 4 - 0.5, clamped: 0, 0, 0.125, 0.375, 0.625, 0.875, 1, 1
    expect(Array.from(dst.subarray(0, 8))).toEqual([90, 0, 25, 75, 125, 175, 200, 200]);
    expect(Array.from(dst.subarray(8))).toEqual([0, 0, 25, 75, 125, 175, 200, 200]);
  });
});

describe('scratch tiling', () => {
  it('every pixel belongs to the own part of exactly one window', () => {
    for (const [W, H, tile, ov, m] of [[1000, 700, 256, 64, 32], [300, 200, 512, 64, 16], [513, 257, 128, 32, 16]]) {
      const plan = planTiles(W, H, tile, ov, m);
      const count = new Uint8Array(W * H);
      for (const t of tilesOf(plan)) {
        const o = ownPart(t, plan);
        // inside its window, and at least half the overlap away from every side that has a neighbour
        expect(o.x).toBeGreaterThanOrEqual(t.x);
        expect(o.x + o.w).toBeLessThanOrEqual(t.x + t.w);
        if (t.col > 0) expect(o.x - t.x).toBeGreaterThanOrEqual(ov / 2);
        for (let y = o.y; y < o.y + o.h; y++) for (let x = o.x; x < o.x + o.w; x++) count[y * W + x]++;
      }
      expect(count.every((c) => c === 1)).toBe(true);
    }
  });
});

describe('mask files', () => {
  it('round-trips a mask through a greyscale PNG, making the folder', async () => {
    const w = 33;
    const h = 21;
    const mask = new Uint8Array(w * h).map((_, i) => (i % 5 === 0 ? 1 : 0));
    const file = await writeMask(path.join(tmp, 'new', 'm.png'), mask, w, h);
    const meta = await sharp(file).metadata();
    expect(meta.channels).toBe(1);
    expect(Array.from(await readMask(file, w, h))).toEqual(Array.from(mask));
    expect(fs.readdirSync(path.dirname(file))).toEqual(['m.png']); // no temp left behind
  });

  it('reads a painted stroke layer: only opaque light pixels count', async () => {
    const w = 4;
    const h = 1;
    const rgba = Buffer.from([255, 255, 255, 255, 255, 255, 255, 0, 0, 0, 0, 255, 200, 40, 40, 255]);
    const file = path.join(tmp, 'strokes.png');
    await sharp(rgba, { raw: { width: w, height: h, channels: 4 } }).png().toFile(file);
    expect(Array.from(await readMask(file, w, h))).toEqual([1, 0, 0, 1]);
  });

  it('refuses a mask of another size, naming both sizes', async () => {
    const file = await writeMask(path.join(tmp, 'small.png'), new Uint8Array(10 * 10), 10, 10);
    await expect(readMask(file, 20, 10)).rejects.toThrow(/10x10 pixels, but the photo is 20x10/);
  });

  it('puts a batch mask in a folder under the photo name, a .png target as given', () => {
    expect(maskTarget('/out/masks', '/in/a b.jpg')).toBe(path.resolve('/out/masks/a b.jpg.mask.png'));
    expect(maskTarget('/out/m.PNG', '/in/a.jpg')).toBe(path.resolve('/out/m.PNG'));
  });
});
