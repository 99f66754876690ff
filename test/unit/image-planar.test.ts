// toPlanarFloat / writePlanarFloat: layout, scaling, clamping and rounding, bounds, buffer reuse.
import { describe, expect, it } from 'vitest';
import { decodeImage } from '../../src/core/image/decode';
import { createImageLike, toPlanarFloat, writePlanarFloat } from '../../src/core/image/planar';
import type { DecodedImage, ImageMeta } from '../../src/core/image/types';
import { crops } from '../helpers/images';

const meta = (bitDepth: 8 | 16): ImageMeta => ({
  format: 'png',
  width: 0,
  height: 0,
  bitDepth,
  hasAlpha: false,
  isGrey: false,
  space: 'srgb',
});

/** A w x h image with pseudo-random values (a fixed LCG, so failures reproduce). */
function randomImage(w: number, h: number, bitDepth: 8 | 16, seed = 1): DecodedImage {
  const max = bitDepth === 16 ? 65535 : 255;
  const rgb = bitDepth === 16 ? new Uint16Array(w * h * 3) : new Uint8Array(w * h * 3);
  let s = seed >>> 0;
  for (let i = 0; i < rgb.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    rgb[i] = s % (max + 1);
  }
  return { width: w, height: h, bitDepth, rgb, meta: { ...meta(bitDepth), width: w, height: h } };
}

describe.each([8, 16] as const)('%i-bit', (bitDepth) => {
  const max = bitDepth === 16 ? 65535 : 255;

  it('toPlanarFloat puts R, G, B planes of the rectangle in order, scaled to [0, 1]', () => {
    const img = randomImage(37, 29, bitDepth);
    const r = { x: 5, y: 3, w: 20, h: 11 };
    const f = toPlanarFloat(img, r);
    expect(f.length).toBe(3 * r.w * r.h);
    for (let c = 0; c < 3; c++) {
      for (let y = 0; y < r.h; y++) {
        for (let x = 0; x < r.w; x++) {
          const want = img.rgb[((r.y + y) * img.width + (r.x + x)) * 3 + c] / max;
          expect(f[c * r.w * r.h + y * r.w + x]).toBeCloseTo(want, 6);
        }
      }
    }
  });

  it('writePlanarFloat(toPlanarFloat(rect)) restores the rectangle exactly and touches nothing else', () => {
    const img = randomImage(37, 29, bitDepth, 7);
    const dst = createImageLike(img);
    expect(dst.rgb).not.toBe(img.rgb);
    expect(dst.rgb.every((v) => v === 0)).toBe(true);
    const r = { x: 9, y: 4, w: 17, h: 20 };
    writePlanarFloat(dst, r, toPlanarFloat(img, r));
    for (let y = 0; y < img.height; y++) {
      for (let x = 0; x < img.width; x++) {
        const inside = x >= r.x && x < r.x + r.w && y >= r.y && y < r.y + r.h;
        for (let c = 0; c < 3; c++) {
          const i = (y * img.width + x) * 3 + c;
          expect(dst.rgb[i]).toBe(inside ? img.rgb[i] : 0);
        }
      }
    }
  });

  it('clamps to [0, 1], rounds to nearest, NaN becomes 0', () => {
    const dst = randomImage(3, 2, bitDepth);
    const n = 6;
    const plane = [-0.25, 1.5, Number.NaN, (100 + 0.49) / max, (100 + 0.51) / max, 1];
    const data = new Float32Array(3 * n);
    for (let c = 0; c < 3; c++) data.set(plane, c * n);
    writePlanarFloat(dst, { x: 0, y: 0, w: 3, h: 2 }, data);
    for (let c = 0; c < 3; c++) {
      expect([0, 1, 2, 3, 4, 5].map((i) => dst.rgb[i * 3 + c])).toEqual([0, max, 0, 100, 101, max]);
    }
  });

  it('fills a caller-given buffer (tile loops allocate nothing) and checks its size', () => {
    const img = randomImage(16, 16, bitDepth);
    const buf = new Float32Array(3 * 8 * 8 + 5);
    const r = { x: 8, y: 8, w: 8, h: 8 };
    expect(toPlanarFloat(img, r, buf)).toBe(buf);
    expect(buf[0]).toBeCloseTo(img.rgb[(8 * 16 + 8) * 3] / max, 6);
    expect(() => toPlanarFloat(img, r, new Float32Array(10))).toThrow(RangeError);
    expect(() => writePlanarFloat(img, r, new Float32Array(10))).toThrow(RangeError);
  });
});

it('refuses rectangles outside the image or not in whole pixels', () => {
  const img = randomImage(10, 10, 8);
  for (const r of [
    { x: -1, y: 0, w: 2, h: 2 },
    { x: 9, y: 0, w: 2, h: 2 },
    { x: 0, y: 5, w: 2, h: 6 },
    { x: 0, y: 0, w: 0, h: 2 },
    { x: 0.5, y: 0, w: 2, h: 2 },
  ]) {
    expect(() => toPlanarFloat(img, r)).toThrow(RangeError);
    expect(() => writePlanarFloat(img, r, new Float32Array(100))).toThrow(RangeError);
  }
});

it('createImageLike shares alpha and meta, not the pixels', () => {
  const img = { ...randomImage(4, 4, 16), alpha: new Uint16Array(16) };
  const d = createImageLike(img);
  expect(d.rgb).toBeInstanceOf(Uint16Array);
  expect(d.rgb.length).toBe(48);
  expect(d.alpha).toBe(img.alpha);
  expect(d.meta).toBe(img.meta);
});

it('a real photo survives the float round trip exactly, in tiles', async () => {
  const img = await decodeImage(crops(1)[0]);
  const out = createImageLike(img);
  const T = 64;
  const buf = new Float32Array(3 * T * T);
  for (let y = 0; y < img.height; y += T) {
    for (let x = 0; x < img.width; x += T) {
      const r = { x, y, w: Math.min(T, img.width - x), h: Math.min(T, img.height - y) };
      const f = toPlanarFloat(img, r, buf);
      writePlanarFloat(out, r, f);
    }
  }
  let diff = 0;
  for (let i = 0; i < img.rgb.length; i++) diff += img.rgb[i] !== out.rgb[i] ? 1 : 0;
  expect(diff).toBe(0);
});

it('is fast: 4 megapixels there and back well under a second or two', () => {
  const img = randomImage(2048, 2048, 8, 3);
  const dst = createImageLike(img);
  const r = { x: 0, y: 0, w: 2048, h: 2048 };
  const buf = new Float32Array(3 * 2048 * 2048);
  toPlanarFloat(img, { x: 0, y: 0, w: 64, h: 64 }); // warm up
  const t0 = performance.now();
  writePlanarFloat(dst, r, toPlanarFloat(img, r, buf));
  const ms = performance.now() - t0;
  expect(dst.rgb[12345]).toBe(img.rgb[12345]);
  expect(ms).toBeLessThan(2000); // typically ~30 ms; per-pixel allocations or Math.round-heavy code would show here
});
