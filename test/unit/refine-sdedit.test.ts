// SDEdit on images with the fixture diffusion model: the pixels outside the feathered mask are the input's, the cost
// follows the painted box (not the photo), a seed reproduces a run bit for bit, tiling, repeats and 16-bit photos.
import { beforeAll, describe, expect, it } from 'vitest';
import { maskReach } from '../../src/core/refine/mask';
import type { OrtEpsModel } from '../../src/core/refine/model';
import type { Schedule } from '../../src/core/refine/schedule';
import { DEFAULT_CONTEXT, DEFAULT_FEATHER, refineImage, type RefineOptions } from '../../src/core/refine/sdedit';
import { discStrokes, fixtureModel, synthPhoto } from './refine-helpers';

let model: OrtEpsModel;
let sched: Schedule;
beforeAll(async () => {
  ({ model, sched } = await fixtureModel());
});

const base: RefineOptions = { strength: 0.5, steps: 4, repeats: 1, seed: 11, eta: 0, tile: 256 };

function photo(w: number, h: number) {
  return { width: w, height: h, bitDepth: 8 as const, rgb: synthPhoto(w, h), meta: { tag: 'kept' } };
}

function reset() {
  model.counters.calls = 0;
  model.counters.pixels = 0;
}

describe('refineImage', () => {
  it('changes the masked area and leaves every other pixel exactly as it was', async () => {
    const W = 96;
    const H = 72;
    const img = photo(W, H);
    const strokes = discStrokes(W, H, 40, 30, 8);
    const { image, stats } = await refineImage({ image: img, strokes }, model, sched, base);
    expect(image.meta).toEqual({ tag: 'kept' });
    expect(image.rgb).not.toBe(img.rgb);
    const reach = maskReach(DEFAULT_FEATHER);
    let changedInside = 0;
    let changedOutside = 0;
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const d = Math.max(Math.abs(x - 40), Math.abs(y - 30)); // Chebyshev distance to the disc's centre
        for (let c = 0; c < 3; c++) {
          const i = 3 * (y * W + x) + c;
          if (d > 8 + reach) changedOutside += image.rgb[i] !== img.rgb[i] ? 1 : 0;
          else if (d <= 5 && image.rgb[i] !== img.rgb[i]) changedInside++;
        }
      }
    }
    expect(changedOutside).toBe(0);
    expect(changedInside).toBeGreaterThan(50);
    expect(stats.evaluations).toBe(4);
    expect(stats.t0).toBe(500);
  });

  it('the same seed gives the same image, bit for bit; another seed another image', async () => {
    const img = photo(64, 48);
    const strokes = discStrokes(64, 48, 30, 20, 6);
    const run = (seed: number, eta: number) => refineImage({ image: img, strokes }, model, sched, { ...base, seed, eta });
    const a = await run(5, 0.5);
    const b = await run(5, 0.5);
    const c = await run(6, 0.5);
    expect(Buffer.from(a.image.rgb).equals(Buffer.from(b.image.rgb))).toBe(true);
    expect(Buffer.from(a.image.rgb).equals(Buffer.from(c.image.rgb))).toBe(false);
  });

  it('runs the network on the painted box plus context only: the cost follows the box, not the photo', async () => {
    const steps = 3;
    const cost = async (W: number, H: number, r: number) => {
      reset();
      const { stats } = await refineImage({ image: photo(W, H), strokes: discStrokes(W, H, W / 2, H / 2, r) }, model, sched, { ...base, steps });
      expect(model.counters.calls).toBe(steps * stats.tiles.length);
      return { pixels: model.counters.pixels, stats };
    };
    const small = await cost(1200, 900, 6);
    const sameOnSmallerPhoto = await cost(400, 300, 6);
    const bigger = await cost(1200, 900, 24);
    const side = 2 * 6 + 1 + 2 * maskReach(DEFAULT_FEATHER) + 2 * DEFAULT_CONTEXT;
    const expected = Math.ceil(side / model.stride) * model.stride;
    expect(small.stats.region).toMatchObject({ runW: expected, runH: expected });
    expect(small.pixels).toBe(steps * expected * expected);
    expect(small.pixels).toBeLessThan((steps * 1200 * 900) / 100);
    expect(sameOnSmallerPhoto.pixels).toBe(small.pixels);
    const side2 = Math.ceil((2 * 24 + 1 + 2 * maskReach(DEFAULT_FEATHER) + 2 * DEFAULT_CONTEXT) / model.stride) * model.stride;
    expect(bigger.pixels).toBe(steps * side2 * side2);
  });

  it('tiles a box larger than the tile size, with the same guarantees', async () => {
    const W = 160;
    const H = 120;
    const img = photo(W, H);
    const strokes = discStrokes(W, H, 80, 60, 45);
    reset();
    const { image, stats } = await refineImage({ image: img, strokes }, model, sched, { ...base, steps: 2, tile: 64, overlap: 16 });
    expect(stats.tiles.length).toBeGreaterThan(1);
    expect(model.counters.calls).toBe(2 * stats.tiles.length);
    for (const t of stats.tiles) expect([t.w % 4, t.h % 4, t.w <= 64 ? 1 : 0]).toEqual([0, 0, 1]);
    let changedOutside = 0;
    let changedInside = 0;
    for (let i = 0; i < 3 * W * H; i++) {
      const x = Math.floor(i / 3) % W;
      const y = Math.floor(i / 3 / W);
      const d = Math.hypot(x - 80, y - 60);
      if (d > 45 + maskReach(DEFAULT_FEATHER) * Math.SQRT2 + 1) changedOutside += image.rgb[i] !== img.rgb[i] ? 1 : 0;
      else if (d < 40) changedInside += image.rgb[i] !== img.rgb[i] ? 1 : 0;
    }
    expect(changedOutside).toBe(0);
    expect(changedInside).toBeGreaterThan(1000);
  });

  it('repeats noise and denoise again: K times the evaluations, and a different result', async () => {
    const img = photo(64, 48);
    const strokes = discStrokes(64, 48, 30, 20, 6);
    reset();
    const one = await refineImage({ image: img, strokes }, model, sched, { ...base, repeats: 1 });
    const calls1 = model.counters.calls;
    const steps: number[] = [];
    const two = await refineImage({ image: img, strokes }, model, sched, { ...base, repeats: 2, onStep: (s, n) => steps.push(s / n) });
    expect(model.counters.calls - calls1).toBe(2 * calls1);
    expect(two.stats.evaluations).toBe(8);
    expect(steps).toEqual([1, 2, 3, 4, 5, 6, 7, 8].map((s) => s / 8));
    expect(Buffer.from(one.image.rgb).equals(Buffer.from(two.image.rgb))).toBe(false);
  });

  it('a user mask limits the change to it, whatever the strokes cover', async () => {
    const W = 80;
    const H = 60;
    const img = photo(W, H);
    const strokes = discStrokes(W, H, 40, 30, 20);
    const mask = new Uint8Array(W * H);
    for (let y = 25; y < 35; y++) for (let x = 10; x < 20; x++) mask[y * W + x] = 1;
    const { image, stats } = await refineImage({ image: img, strokes, mask }, model, sched, { ...base, mask: { grow: 0, feather: 4 } });
    expect(stats.box).toEqual({ x: 6, y: 21, w: 18, h: 18 });
    let changedOutside = 0;
    let changedInside = 0;
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const outside = x < 6 || x >= 24 || y < 21 || y >= 39;
        for (let c = 0; c < 3; c++) {
          const i = 3 * (y * W + x) + c;
          if (image.rgb[i] !== img.rgb[i]) outside ? changedOutside++ : changedInside++;
        }
      }
    }
    expect(changedOutside).toBe(0);
    expect(changedInside).toBeGreaterThan(100);
  });

  it('keeps 16-bit photos 16-bit and exact outside the mask', async () => {
    const W = 48;
    const H = 40;
    const rgb = Uint16Array.from(synthPhoto(W, H), (v) => v * 257 + 3);
    const { image } = await refineImage({ image: { width: W, height: H, bitDepth: 16, rgb }, strokes: discStrokes(W, H, 10, 10, 4) }, model, sched, base);
    expect(image.rgb).toBeInstanceOf(Uint16Array);
    let changed = 0;
    let changedFar = 0;
    for (let i = 0; i < rgb.length; i++) {
      const p = (i / 3) | 0;
      if (image.rgb[i] !== rgb[i]) {
        changed++;
        if (p % W > 40 || p / W > 35) changedFar++;
      }
    }
    expect(changedFar).toBe(0);
    expect(changed).toBeGreaterThan(0);
  });

  it('refuses what it cannot do, in words', async () => {
    const img = photo(32, 32);
    const none = new Uint8Array(32 * 32 * 4);
    await expect(refineImage({ image: img, strokes: none }, model, sched, base)).rejects.toThrow(/nothing is painted/);
    await expect(refineImage({ image: img, strokes: new Uint8Array(10) }, model, sched, base)).rejects.toThrow(/size of the photo/);
    const s = discStrokes(32, 32, 10, 10, 3);
    await expect(refineImage({ image: img, strokes: s }, model, sched, { ...base, strength: 0.95 })).rejects.toThrow(/strength/);
    await expect(refineImage({ image: img, strokes: s }, model, sched, { ...base, steps: 0 })).rejects.toThrow(/steps/);
    await expect(refineImage({ image: img, strokes: s, mask: new Uint8Array(32 * 32) }, model, sched, base)).rejects.toThrow(/mask is empty/);
  });
});
