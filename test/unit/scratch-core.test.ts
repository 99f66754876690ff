// The scratch stage's plain parts: the sensitivity's threshold, the mask's growth, the tiling that lets every window
// write only its own part (each pixel written exactly once), and mask files (read back as written; wrong sizes and
// non-masks refused with words).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import {
  clearFrame,
  DARK_FLAT,
  detectDamage,
  DARK_LINE,
  detectAxis,
  dilate,
  END_WINDOW,
  dropDarkFlatRegions,
  dropDarkLines,
  dropSmallRegions,
  forEachRegion,
  maskFromProb,
  maskStats,
  maxUpsampled,
  ownPart,
  planDetect,
  scanFrame,
  thresholdFor,
  TTA_FROM_LOGIT,
} from '../../src/core/scratch/scratch';
import { maskTarget, readMask, readMaskFile, writeMask } from '../../src/core/scratch/mask-file';
import { planAxis, planTiles, tilesOf } from '../../src/core/restore/tiling';

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

describe("the coarse pass's small regions", () => {
  it('drops regions under the area at the threshold, keeps larger and 8-connected ones and lower values', () => {
    const w = 40;
    const h = 20;
    const prob = new Uint8Array(w * h);
    const set = (x: number, y: number, v: number): void => {
      prob[y * w + x] = v;
    };
    for (let i = 0; i < 12; i++) set(2 + i, 2 + i, 250); // a diagonal line, 12 px: one region only 8-connected
    for (let y = 1; y < 4; y++) for (let x = 30; x < 34; x++) set(x, y, 240); // a 4 x 3 blob: 12 px
    for (let x = 20; x < 25; x++) set(x, 15, 230); // 5 px: under the area
    set(25, 15, 100); // below the threshold: not part of any region, left as it is
    set(5, 18, 255); // a single pixel
    const before = prob.slice();
    dropSmallRegions(prob, w, h, 217, 10);
    for (let i = 0; i < 12; i++) expect(prob[(2 + i) * w + 2 + i]).toBe(250);
    expect(prob[2 * w + 31]).toBe(240);
    for (let x = 20; x < 25; x++) expect(prob[15 * w + x]).toBe(0);
    expect(prob[15 * w + 25]).toBe(100);
    expect(prob[18 * w + 5]).toBe(0);
    // nothing else changed
    const changed = [...prob].map((v, i) => (v !== before[i] ? i : -1)).filter((i) => i >= 0);
    expect(changed.sort((a, b) => a - b)).toEqual([15 * w + 20, 15 * w + 21, 15 * w + 22, 15 * w + 23, 15 * w + 24, 18 * w + 5]);
    // with a lower threshold the 5 px run joins the pixel of 100 next to it: 6 px, still under 10; at 6 it stays
    const again = before.slice();
    dropSmallRegions(again, w, h, 100, 6);
    for (let x = 20; x < 25; x++) expect(again[15 * w + x]).toBe(230);
    expect(again[18 * w + 5]).toBe(0);
  });
});

describe('dark flat regions', () => {
  // a 100 x 60 photo: mid-grey, a black corner block (40 x 30, flat), a black line 2 px wide and 90 long, a dark but
  // textured block, and a light flat block; the probability marks all of them
  const w = 100;
  const h = 60;
  function scene(bitDepth: 8 | 16) {
    const max = bitDepth === 16 ? 65535 : 255;
    const rgb = bitDepth === 16 ? new Uint16Array(3 * w * h) : new Uint8Array(3 * w * h);
    const prob = new Uint8Array(w * h);
    const put = (x: number, y: number, v: number, p = 240): void => {
      for (let c = 0; c < 3; c++) rgb[3 * (y * w + x) + c] = Math.round(v * max);
      prob[y * w + x] = p;
    };
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) put(x, y, 0.5, 0);
    for (let y = 0; y < 30; y++) for (let x = 0; x < 40; x++) put(x, y, 0.02 + 0.01 * ((x + y) % 2)); // the mount
    for (let x = 5; x < 95; x++) for (const y of [40, 41]) put(x, y, 0.01); // a black scratch: all edge
    for (let y = 0; y < 30; y++) for (let x = 60; x < 100; x++) put(x, y, (x + y) % 2 ? 0.0 : 0.12); // dark (mean 0.06), textured (std 0.06)
    for (let y = 45; y < 60; y++) for (let x = 40; x < 100; x++) put(x, y, 0.95); // light and flat: a torn corner
    return { img: { width: w, height: h, bitDepth, rgb }, prob };
  }

  it('drops only a large, thick, near-black and flat region, 8 and 16 bit', () => {
    for (const bits of [8, 16] as const) {
      const { img, prob } = scene(bits);
      dropDarkFlatRegions(prob, img, 217);
      expect(prob[10 * w + 10]).toBe(0); // the mount
      expect(prob[40 * w + 50]).toBe(240); // the scratch stays damage
      expect(prob[10 * w + 70]).toBe(240); // dark but not flat
      expect(prob[50 * w + 70]).toBe(240); // flat but light
    }
    // below the threshold a region is not looked at, and a smaller minimum area than the mount's keeps nothing else
    const { img, prob } = scene(8);
    dropDarkFlatRegions(prob, img, 241);
    expect(prob[10 * w + 10]).toBe(240);
    const again = scene(8);
    dropDarkFlatRegions(again.prob, again.img, 217, { ...DARK_FLAT, minArea: 1201 });
    expect(again.prob[10 * w + 10]).toBe(240); // 1,200 px: under the area
  });

  it('visits every region once with all its pixels', () => {
    const { prob } = scene(8);
    const sizes: number[] = [];
    forEachRegion(prob, w, h, 217, (r) => sizes.push(r.length));
    expect(sizes.sort((a, b) => a - b)).toEqual([180, 900, 1200, 1200]);
  });
});

describe('thick dark lines', () => {
  // a 120 x 80 photo, mid-grey: a cable (near black, 8 px wide, 110 long), a black scratch 2 px wide, a dark speck
  // 10 x 10, a dark band 8 px wide on a surround nearly as dark, a white band 6 px wide; the probability marks them all
  const w = 120;
  const h = 80;
  function scene(bitDepth: 8 | 16) {
    const max = bitDepth === 16 ? 65535 : 255;
    const rgb = bitDepth === 16 ? new Uint16Array(3 * w * h) : new Uint8Array(3 * w * h);
    const prob = new Uint8Array(w * h);
    const put = (x0: number, x1: number, y0: number, y1: number, v: number, p = 240): void => {
      for (let y = y0; y < y1; y++) {
        for (let x = x0; x < x1; x++) {
          for (let c = 0; c < 3; c++) rgb[3 * (y * w + x) + c] = Math.round(v * max);
          prob[y * w + x] = p;
        }
      }
    };
    put(0, w, 0, h, 0.5, 0);
    put(5, 115, 10, 18, 0.08); // the cable
    put(5, 115, 30, 32, 0.02); // a scratch
    put(20, 30, 40, 50, 0.05); // a speck
    put(0, w, 56, 72, 0.25, 0); // a dark surround...
    put(5, 115, 60, 68, 0.2); // ...and a band on it
    put(5, 115, 73, 79, 0.95); // a white band
    return { img: { width: w, height: h, bitDepth, rgb }, prob };
  }

  it('drops only a thick, long, dark line darker than around it, 8 and 16 bit', () => {
    for (const bits of [8, 16] as const) {
      const { img, prob } = scene(bits);
      dropDarkLines(prob, img, 217);
      expect(prob[14 * w + 50]).toBe(0); // the cable
      expect(prob[30 * w + 50]).toBe(240); // the scratch stays damage
      expect(prob[45 * w + 25]).toBe(240); // so does a round speck
      expect(prob[64 * w + 50]).toBe(240); // a band hardly darker than around it
      expect(prob[75 * w + 50]).toBe(240); // and a white one
    }
    // a stricter rule keeps the cable: wider than its half width of 3.8, or darker than its luma of 0.08
    for (const rule of [{ ...DARK_LINE, minHalfWidth: 4 }, { ...DARK_LINE, maxLuma: 0.07 }, { ...DARK_LINE, minContrast: 0.45 }]) {
      const { img, prob } = scene(8);
      dropDarkLines(prob, img, 217, rule);
      expect(prob[14 * w + 50]).toBe(240);
    }
  });
});

describe("a print's border", () => {
  // a 120 x 80 photo of random texture inside a border: 10 px of cream at the top and bottom, 6 at the sides, with a
  // few dark specks of dust on it
  function framed(border: [number, number, number], sides = { top: 10, bottom: 10, left: 6, right: 6 }) {
    const w = 120;
    const h = 80;
    const rgb = new Uint8Array(3 * w * h);
    let seed = 7;
    const rnd = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const inBorder = y < sides.top || y >= h - sides.bottom || x < sides.left || x >= w - sides.right;
        for (let c = 0; c < 3; c++) rgb[3 * (y * w + x) + c] = inBorder ? border[c] : Math.round(40 + 180 * rnd());
      }
    }
    for (const [x, y] of [[20, 3], [60, 75], [2, 40]]) for (let c = 0; c < 3; c++) rgb[3 * (y * w + x) + c] = 30;
    return { width: w, height: h, bitDepth: 8 as const, rgb };
  }

  it('is found on every side, cream or black, specks of dust and all', () => {
    expect(scanFrame(framed([240, 235, 220]))).toEqual({ top: 10, bottom: 10, left: 6, right: 6 });
    expect(scanFrame(framed([5, 5, 5]))).toEqual({ top: 10, bottom: 10, left: 6, right: 6 });
  });

  it('is not found in a photo without one, nor on one side alone (a clear sky is no border)', () => {
    expect(scanFrame(framed([0, 0, 0], { top: 0, bottom: 0, left: 0, right: 0 }))).toEqual({ top: 0, bottom: 0, left: 0, right: 0 });
    expect(scanFrame(framed([120, 160, 220], { top: 12, bottom: 0, left: 0, right: 0 }))).toEqual({ top: 0, bottom: 0, left: 0, right: 0 });
    // two sides of different colours are not one border either
    const img = framed([240, 235, 220], { top: 10, bottom: 0, left: 0, right: 0 });
    for (let y = 0; y < 80; y++) for (let x = 114; x < 120; x++) img.rgb.fill(5, 3 * (y * 120 + x), 3 * (y * 120 + x) + 3);
    expect(scanFrame(img)).toEqual({ top: 0, bottom: 0, left: 0, right: 0 });
  });

  it("is a crop's or scanner's edge line on one side alone, not a faint line in a sky", () => {
    const photo = framed([0, 0, 0], { top: 0, bottom: 0, left: 0, right: 0 });
    const line = (img: typeof photo, rows: number[], value: number) => {
      for (const y of rows) img.rgb.fill(value, 3 * y * 120, 3 * (y + 1) * 120);
      return img;
    };
    expect(scanFrame(line(structuredClone(photo), [0], 0))).toEqual({ top: 1, bottom: 0, left: 0, right: 0 });
    expect(scanFrame(line(structuredClone(photo), [78, 79], 255))).toEqual({ top: 0, bottom: 2, left: 0, right: 0 });
    // three such lines are a border, which needs a second side
    expect(scanFrame(line(structuredClone(photo), [0, 1, 2], 0))).toEqual({ top: 0, bottom: 0, left: 0, right: 0 });
    // a clear sky whose first line is a little lighter than the rest
    const sky = framed([120, 160, 220], { top: 12, bottom: 0, left: 0, right: 0 });
    for (let x = 0; x < 120; x++) sky.rgb.set([126, 166, 226], 3 * x);
    expect(scanFrame(sky)).toEqual({ top: 0, bottom: 0, left: 0, right: 0 });
  });

  it('clears the probability inside the border and a margin beyond it, nothing else', () => {
    const w = 20;
    const h = 10;
    const prob = new Uint8Array(w * h).fill(200);
    clearFrame(prob, w, h, { top: 1, bottom: 0, left: 2, right: 0 }, 1);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) expect(prob[y * w + x]).toBe(y < 2 || x < 3 ? 0 : 200);
    }
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

describe("the detector's windows (detectAxis, planDetect)", () => {
  it('are never padded at the far edge: the last window is cut to the size multiple and one more ends at the edge', () => {
    // a photo in one window, 481 px: [0, 480) owns all but its last 16 px, [353, 481) the rest
    expect(detectAxis(planAxis(481, 512, 64, 16), 16)).toEqual([
      { start: 0, end: 480, padded: 480, own0: 0, own1: 464 },
      { start: 481 - END_WINDOW, end: 481, padded: END_WINDOW, own0: 464, own1: 481 },
    ]);
    // tiled: the last window [896, 1000) becomes [896, 992) and [872, 1000)
    const w = detectAxis(planAxis(1000, 512, 64, 16), 16);
    expect(w.slice(2)).toEqual([
      { start: 896, end: 992, padded: 96, own0: 928, own1: 976 },
      { start: 872, end: 1000, padded: 128, own0: 976, own1: 1000 },
    ]);
    // a last window too short to own anything once cut is dropped (overlap 32: [256, 296) would own [272, 272)):
    // the window at the edge, [168, 296), owns what it owned
    expect(detectAxis(planAxis(296, 160, 32, 16), 16).slice(-2)).toEqual([
      { start: 128, end: 288, padded: 160, own0: 144, own1: 272 },
      { start: 168, end: 296, padded: 128, own0: 272, own1: 296 },
    ]);
    // lengths that are multiples, and photos shorter than the multiple, keep the tiling plan
    expect(detectAxis(planAxis(480, 512, 64, 16), 16)).toEqual([{ start: 0, end: 480, padded: 480, own0: 0, own1: 480 }]);
    expect(detectAxis(planAxis(10, 512, 64, 16), 16)).toEqual([{ start: 0, end: 10, padded: 16, own0: 0, own1: 10 }]);
    // under two multiples there is no pair of unpadded windows that share the photo: padded as before
    expect(detectAxis(planAxis(20, 512, 64, 16), 16)).toEqual([{ start: 0, end: 20, padded: 32, own0: 0, own1: 20 }]);
    expect(detectAxis(planAxis(33, 512, 64, 16), 16)).toEqual([
      { start: 0, end: 32, padded: 32, own0: 0, own1: 16 },
      { start: 1, end: 33, padded: 32, own0: 16, own1: 33 },
    ]);
  });

  it('write every pixel exactly once, from windows fed whole (no padding) wherever the photo is long enough', () => {
    for (const [W, H, tile] of [[481, 321, 512], [1000, 937, 512], [3001, 40, 512], [300, 7, 160], [1200, 1100, 160], [20, 31, 512], [33, 47, 512]]) {
      const m = 16;
      const wins = planDetect({ width: W, height: H, bitDepth: 8, rgb: new Uint8Array(3 * W * H) }, { tile, receptive_overlap: 64, size_multiple: m } as never, tile);
      const count = new Uint8Array(W * H);
      for (const t of wins) {
        expect(t.x).toBeGreaterThanOrEqual(0);
        expect(t.x + t.w).toBeLessThanOrEqual(W);
        expect(t.y + t.h).toBeLessThanOrEqual(H);
        expect(t.padW % m).toBe(0);
        expect(t.padH % m).toBe(0);
        if (W >= 2 * m) expect(t.padW).toBe(t.w);
        if (H >= 2 * m) expect(t.padH).toBe(t.h);
        const o = t.own;
        expect(o.x >= t.x && o.x + o.w <= t.x + t.w && o.y >= t.y && o.y + o.h <= t.y + t.h).toBe(true);
        for (let y = o.y; y < o.y + o.h; y++) for (let x = o.x; x < o.x + o.w; x++) count[y * W + x]++;
      }
      expect(count.every((c) => c === 1)).toBe(true);
    }
  });
});

describe("the detector's half turn (tta rot180)", () => {
  // a stand-in detector that is not symmetric: 10 (red - 0.5) + slope * column, so a run on the window turned 180
  // degrees and turned back gives slope * (W - 1 - column) there
  const W = 48;
  const H = 32;
  const slope = 0.04;
  function fakeSession() {
    const calls: number[][] = [];
    const session = {
      run: async (feeds: Record<string, { data: Float32Array; dims: readonly number[] }>) => {
        const { data, dims } = feeds.image;
        const [h, w] = [dims[2], dims[3]];
        calls.push([...dims]);
        const out = new Float32Array(h * w);
        for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) out[y * w + x] = 10 * (data[y * w + x] - 0.5) + slope * x;
        return { logit: { dims: [1, 1, h, w], data: out } };
      },
    };
    return { calls, session: session as never };
  }
  const model = (tta?: 'rot180') => ({ inputs: ['image'], outputs: ['logit'], tile: 512, receptive_overlap: 64, size_multiple: 16, tta }) as never;
  const flat = (v: number) => ({ width: W, height: H, bitDepth: 8 as const, rgb: new Uint8Array(3 * W * H).fill(v) });
  const byte = (l: number) => Math.round(255 / (1 + Math.exp(-l)));

  it('averages each window with its run turned half round and back', async () => {
    const one = fakeSession();
    const plain = await detectDamage(flat(128), model(), one.session);
    expect(one.calls.length).toBe(1);
    expect(plain.prob[5 * W + 0]).toBe(byte(10 * (128 / 255 - 0.5)));
    expect(plain.prob[5 * W + 47]).toBe(byte(10 * (128 / 255 - 0.5) + slope * 47));
    const two = fakeSession();
    const turned = await detectDamage(flat(128), model('rot180'), two.session);
    expect(two.calls.length).toBe(2);
    expect(plain.prob[5 * W]).toBeLessThan(plain.prob[5 * W + 47] - 50);
    const want = byte(10 * (128 / 255 - 0.5) + (slope * (W - 1)) / 2); // the column's part is the same everywhere
    for (const i of [0, 17, 5 * W, 5 * W + 47, W * H - 1]) expect(Math.abs(turned.prob[i] - want)).toBeLessThanOrEqual(1);
  });

  it('turns only the full-resolution pass, not the coarse one', async () => {
    const s = fakeSession();
    const big = { width: 256, height: 256, bitDepth: 8 as const, rgb: new Uint8Array(3 * 256 * 256).fill(128) };
    await detectDamage(big, model('rot180'), s.session);
    expect(s.calls.map((d) => d[3])).toEqual([256, 256, 64]);
  });

  it('runs a window once where nothing in it comes near a mark', async () => {
    const s = fakeSession();
    // red 0: the logit is -5 + 0.04 column, at most -3.12, under TTA_FROM_LOGIT
    expect(-5 + slope * (W - 1)).toBeLessThan(TTA_FROM_LOGIT);
    const r = await detectDamage(flat(0), model('rot180'), s.session);
    expect(s.calls.length).toBe(1);
    expect(r.prob[W - 1]).toBe(byte(-5 + slope * (W - 1)));
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

  it('says whether a mask is one the stage found: written so, and unchanged since', async () => {
    const w = 8;
    const h = 6;
    const mask = new Uint8Array(w * h).map((_, i) => (i % 3 === 0 ? 1 : 0));
    const found = await writeMask(path.join(tmp, 'found.png'), mask, w, h, { detected: true });
    const r = await readMaskFile(found, w, h);
    expect(r.detected).toBe(true);
    expect(Array.from(r.mask)).toEqual(Array.from(mask));
    expect((await readMaskFile(await writeMask(path.join(tmp, 'painted.png'), mask, w, h), w, h)).detected).toBe(false);
    // saved again by an editor that drops the PNG's text (sharp does): a person's mask, filled plain
    const edited = path.join(tmp, 'edited.png');
    await sharp(found).png().toFile(edited);
    expect((await readMaskFile(edited, w, h)).detected).toBe(false);
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
