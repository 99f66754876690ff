import * as ort from 'onnxruntime-node';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { isCancel, planFor, restoreImage } from '../../src/core/restore/restore';
import type { RestoreModel } from '../../src/shared/types';
import { crops, FIXTURES, loadRgb, maxAbsDiff, type RawImage, restoreEntry, to16 } from './restore-helpers';

const flat = restoreEntry('restore-fixture');
const unet = restoreEntry('restore-fixture-unet');
const sessions: Record<string, ort.InferenceSession> = {};
let photo: RawImage; // a real CBSD68 photo, 481x321

beforeAll(async () => {
  for (const e of [flat, unet]) {
    sessions[e.id] = await ort.InferenceSession.create(path.join(FIXTURES, e.file), {
      executionProviders: ['cpu'],
      intraOpNumThreads: 1,
    });
  }
  photo = await loadRgb(crops(1)[0]);
});

describe('restoreImage: tiled equals untiled', () => {
  it('3-conv model, 128 px tiles on a 481x321 photo (16-bit to see below 1/255): max diff < 1/255, no seams', async () => {
    const img = to16(photo);
    const whole = await restoreImage(img, flat, sessions[flat.id], { tile: Infinity });
    expect(whole.stats.tiles).toBe(1);
    const tiled = await restoreImage(img, flat, sessions[flat.id], { tile: 128 });
    expect(tiled.stats.tiles).toBe(15); // 5 x 3
    const d = maxAbsDiff(whole.image, tiled.image);
    expect(d).toBeLessThan(1 / 255);
    // its receptive radius (3 px) is within the dropped quarter of the overlap: equal up to float rounding
    expect(d).toBeLessThanOrEqual(2 / 65535);
    // the model really changed the photo, so the comparison is not between two copies of the input
    expect(maxAbsDiff(whole.image, img)).toBeGreaterThan(10 / 255);
  });

  it('encoder/decoder model (size multiple 4, wide receptive field), 96 px tiles: max diff < 1/255', async () => {
    const img = to16(photo);
    const whole = await restoreImage(img, unet, sessions[unet.id], { tile: Infinity });
    const tiled = await restoreImage(img, unet, sessions[unet.id], { tile: 96 });
    expect(tiled.stats.tiles).toBeGreaterThan(10);
    expect(maxAbsDiff(whole.image, tiled.image)).toBeLessThan(1 / 255);
  });

  it('without enough overlap the blend still hides the seam: the error stays small and spread, not a step', async () => {
    // the same encoder/decoder with a too-small overlap: tiles disagree near their borders, the cross-fade
    // keeps the difference well below what a hard cut between tiles (overlap 0) gives
    const narrow: RestoreModel = { ...unet, receptive_overlap: 16 };
    const cut: RestoreModel = { ...unet, receptive_overlap: 0 };
    const whole = await restoreImage(photo, unet, sessions[unet.id], { tile: Infinity });
    const blended = await restoreImage(photo, narrow, sessions[unet.id], { tile: 96 });
    const hard = await restoreImage(photo, cut, sessions[unet.id], { tile: 96 });
    const dBlend = maxAbsDiff(whole.image, blended.image);
    const dHard = maxAbsDiff(whole.image, hard.image);
    expect(dHard).toBeGreaterThan(dBlend);
  });

  it('keeps size, bit depth and alpha of odd-sized and tiny images (reflect padding to the size multiple)', async () => {
    for (const [w, h] of [
      [1, 1],
      [3, 5],
      [7, 130],
      [131, 9],
    ]) {
      const img = await loadRgb(crops(1)[0], { left: 10, top: 20, width: w, height: h });
      const alpha = new Uint8Array(w * h).fill(200);
      const withAlpha = { ...img, alpha };
      for (const m of [flat, unet]) {
        const r = await restoreImage(withAlpha, m, sessions[m.id], { tile: 64 });
        expect(r.image.width).toBe(w);
        expect(r.image.height).toBe(h);
        expect(r.image.rgb.length).toBe(w * h * 3);
        expect(r.image.rgb).toBeInstanceOf(Uint8Array);
        expect(r.image.alpha).toBe(alpha);
        const whole = await restoreImage(withAlpha, m, sessions[m.id], { tile: Infinity });
        expect(maxAbsDiff(whole.image, r.image)).toBeLessThanOrEqual(1 / 255);
      }
    }
    const r16 = await restoreImage(to16(photo), flat, sessions[flat.id], { tile: 256 });
    expect(r16.image.bitDepth).toBe(16);
    expect(r16.image.rgb).toBeInstanceOf(Uint16Array);
  });
});

describe('restoreImage: strength, progress, cancel, value range', () => {
  const crop = () => loadRgb(crops(2)[1], { left: 0, top: 0, width: 200, height: 150 });

  it('strength 0 gives the input, 0.5 the midpoint of input and full result', async () => {
    const img = await crop();
    const none = await restoreImage(img, flat, sessions[flat.id], { strength: 0 });
    expect(maxAbsDiff(none.image, img)).toBe(0);
    expect(none.image.rgb).not.toBe(img.rgb);
    const full = await restoreImage(img, flat, sessions[flat.id], { strength: 1 });
    const half = await restoreImage(img, flat, sessions[flat.id], { strength: 0.5 });
    let worst = 0;
    for (let i = 0; i < img.rgb.length; i++) worst = Math.max(worst, Math.abs(half.image.rgb[i] - (img.rgb[i] + full.image.rgb[i]) / 2));
    expect(worst).toBeLessThanOrEqual(1);
    expect(maxAbsDiff(full.image, img)).toBeGreaterThan(5 / 255);
  });

  it('reports progress once per tile, ending at 1', async () => {
    const img = await crop();
    const seen: number[] = [];
    const r = await restoreImage(img, flat, sessions[flat.id], { tile: 64, onProgress: (f) => seen.push(f) });
    expect(r.stats.tiles).toBe(planFor(200, 150, flat, 64).count);
    expect(seen.length).toBe(r.stats.tiles);
    for (let i = 1; i < seen.length; i++) expect(seen[i]).toBeGreaterThan(seen[i - 1]);
    expect(seen[seen.length - 1]).toBe(1);
  });

  it('stops at the next tile when the signal is aborted', async () => {
    const img = await crop();
    const ac = new AbortController();
    let tiles = 0;
    const p = restoreImage(img, flat, sessions[flat.id], {
      tile: 64,
      signal: ac.signal,
      onProgress: () => {
        tiles++;
        if (tiles === 2) ac.abort();
      },
    });
    const err = await p.catch((e) => e);
    expect(isCancel(err)).toBe(true);
    expect(tiles).toBe(2);
    const pre = new AbortController();
    pre.abort();
    expect(isCancel(await restoreImage(img, flat, sessions[flat.id], { signal: pre.signal }).catch((e) => e))).toBe(true);
  });

  it('maps [0,1] to the model\'s value range and back', async () => {
    const img = await crop();
    let fedMin = Infinity;
    // an identity network in [-1, 1]: what goes in comes out, so the photo must come back unchanged
    const identity = {
      run: async (feeds: Record<string, ort.Tensor>) => {
        const t = feeds.x;
        const d = t.data as Float32Array;
        for (const v of d) fedMin = Math.min(fedMin, v);
        return { y: new ort.Tensor('float32', new Float32Array(d), t.dims as number[]) };
      },
    } as unknown as ort.InferenceSession;
    const m: RestoreModel = { ...flat, inputs: ['x'], outputs: ['y'], value_range: [-1, 1] };
    const r = await restoreImage(img, m, identity, { tile: 64 });
    expect(maxAbsDiff(r.image, img)).toBe(0);
    expect(fedMin).toBeLessThan(-0.5);
  });

  it('says what is wrong when the model gives a wrong shape', async () => {
    const img = await crop();
    const bad = {
      run: async () => ({ output: new ort.Tensor('float32', new Float32Array(3 * 4 * 4), [1, 3, 4, 4]) }),
    } as unknown as ort.InferenceSession;
    await expect(restoreImage(img, flat, bad, { tile: 64 })).rejects.toThrow(/output of shape \[1,3,4,4\], expected/);
  });
});
