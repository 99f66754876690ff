// Strokes and mask images as the app and the CLI hand them over (PNG bytes).
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { decodeMask, decodeStrokes } from '../../src/core/refine/inputs';

const png = (px: number[], w: number, h: number, channels: 1 | 3 | 4) =>
  sharp(Buffer.from(px), { raw: { width: w, height: h, channels } }).png().toBuffer();

describe('refine inputs', () => {
  it('strokes: RGBA as painted, from plain Uint8Array bytes too', async () => {
    const b = await png([255, 0, 0, 255, 0, 0, 0, 0, 10, 20, 30, 7], 3, 1, 4);
    const s = await decodeStrokes(new Uint8Array(b), 3, 1);
    expect(Array.from(s)).toEqual([255, 0, 0, 255, 0, 0, 0, 0, 10, 20, 30, 7]);
    // an opaque RGB image is painted everywhere
    const rgb = await decodeStrokes(await png([1, 2, 3, 4, 5, 6], 2, 1, 3), 2, 1);
    expect(Array.from(rgb)).toEqual([1, 2, 3, 255, 4, 5, 6, 255]);
  });

  it('mask: light = may change when opaque; alpha > 0 when it has transparency', async () => {
    expect(Array.from(await decodeMask(await png([0, 255, 127, 128], 4, 1, 1), 4, 1))).toEqual([0, 1, 0, 1]);
    const rgba = await png([0, 0, 0, 255, 0, 0, 0, 0, 255, 255, 255, 0, 9, 9, 9, 1], 4, 1, 4);
    expect(Array.from(await decodeMask(rgba, 4, 1))).toEqual([1, 0, 0, 1]);
  });

  it('says what is wrong in words', async () => {
    const b = await png([0, 0, 0, 255], 1, 1, 4);
    await expect(decodeStrokes(b, 2, 2)).rejects.toThrow('the strokes are 1x1 but the photo is 2x2; they must be the same size');
    await expect(decodeMask(b, 2, 2)).rejects.toThrow(/the mask is 1x1 but the photo is 2x2/);
    await expect(decodeStrokes(new Uint8Array([1, 2, 3]), 1, 1)).rejects.toThrow('the strokes are not a readable image');
  });
});
