// Interleaved 8/16-bit RGB (HWC) <-> planar float32 [0, 1] (CHW) for one rectangle of an image: what the restore
// engine feeds its network tile by tile. Plain loops over typed arrays; the caller may pass the output buffer so a
// tile loop allocates nothing per tile.
import type { PixelArray, Rect } from './types';

export type { Rect } from './types';

/** What these helpers need of an image (DecodedImage has it). */
export interface PixelImage {
  width: number;
  height: number;
  bitDepth: 8 | 16;
  rgb: PixelArray;
}

function checkRect(img: PixelImage, r: Rect): void {
  const { x, y, w, h } = r;
  if (
    !Number.isInteger(x) || !Number.isInteger(y) || !Number.isInteger(w) || !Number.isInteger(h) ||
    x < 0 || y < 0 || w <= 0 || h <= 0 || x + w > img.width || y + h > img.height
  ) {
    throw new RangeError(`rectangle ${x},${y} ${w}x${h} is not inside the ${img.width}x${img.height} image`);
  }
  if (img.rgb.length < img.width * img.height * 3) throw new RangeError('image rgb is shorter than width * height * 3');
}

/**
 * The rectangle's pixels as planar float32 in [0, 1]: R plane, then G, then B, each r.h rows of r.w values.
 * `out` (at least 3 * w * h values) is filled and returned when given; otherwise a new array.
 */
export function toPlanarFloat(img: PixelImage, r: Rect, out?: Float32Array): Float32Array {
  checkRect(img, r);
  const n = r.w * r.h;
  if (out && out.length < 3 * n) throw new RangeError(`output buffer holds ${out.length} values, needs ${3 * n}`);
  const dst = out ?? new Float32Array(3 * n);
  const inv = 1 / (img.bitDepth === 16 ? 65535 : 255);
  const src = img.rgb;
  const n2 = 2 * n;
  for (let y = 0; y < r.h; y++) {
    let s = ((r.y + y) * img.width + r.x) * 3;
    let d = y * r.w;
    const end = d + r.w;
    for (; d < end; d++, s += 3) {
      dst[d] = src[s] * inv;
      dst[n + d] = src[s + 1] * inv;
      dst[n2 + d] = src[s + 2] * inv;
    }
  }
  return dst;
}

/**
 * Writes planar float32 [0, 1] data (layout as toPlanarFloat gives) into the rectangle of `dst`: clamped to [0, 1],
 * scaled to the image's depth and rounded to the nearest integer (NaN becomes 0).
 */
export function writePlanarFloat(dst: PixelImage, r: Rect, data: Float32Array): void {
  const n = r.w * r.h;
  if (data.length < 3 * n) throw new RangeError(`data holds ${data.length} values, needs ${3 * n}`);
  writePlanes(dst, r, data.subarray(0, n), data.subarray(n, 2 * n), data.subarray(2 * n, 3 * n));
}

/** writePlanarFloat with the three planes apart (each r.w * r.h values, row by row): no copy into one array first. */
export function writePlanes(dst: PixelImage, r: Rect, p0: Float32Array, p1: Float32Array, p2: Float32Array): void {
  checkRect(dst, r);
  const n = r.w * r.h;
  if (p0.length < n || p1.length < n || p2.length < n) throw new RangeError(`a plane holds fewer than ${n} values`);
  const max = dst.bitDepth === 16 ? 65535 : 255;
  const out = dst.rgb;
  for (let y = 0; y < r.h; y++) {
    let d = ((r.y + y) * dst.width + r.x) * 3;
    let s = y * r.w;
    const end = s + r.w;
    for (; s < end; s++, d += 3) {
      let v = p0[s];
      out[d] = v > 0 ? (v < 1 ? (v * max + 0.5) | 0 : max) : 0;
      v = p1[s];
      out[d + 1] = v > 0 ? (v < 1 ? (v * max + 0.5) | 0 : max) : 0;
      v = p2[s];
      out[d + 2] = v > 0 ? (v < 1 ? (v * max + 0.5) | 0 : max) : 0;
    }
  }
}

/**
 * A new image of the same size, depth and metadata with zeroed RGB (alpha and meta shared with `img`, not copied):
 * the destination a restore writes into.
 */
export function createImageLike<T extends PixelImage>(img: T): T {
  const n = img.width * img.height * 3;
  const rgb = img.bitDepth === 16 ? new Uint16Array(n) : new Uint8Array(n);
  return { ...img, rgb };
}


/** A small planar float [0, 1] image: `data` holds the R plane, then G, then B, each height rows of width values. */
export interface PlanarImage {
  width: number;
  height: number;
  data: Float32Array;
}

/**
 * `img` shrunk (area average over each output pixel's source box) so its longer side is at most `maxSide`; never
 * enlarged. Planar float [0, 1]: what a stage that looks at the whole photo at once (a global colour mapping) reads.
 */
export function downscalePlanar(img: PixelImage, maxSide: number): PlanarImage {
  const { width: W, height: H } = img;
  const s = Math.min(1, maxSide / Math.max(W, H));
  const w = Math.max(1, Math.round(W * s));
  const h = Math.max(1, Math.round(H * s));
  const n = w * h;
  const data = new Float32Array(3 * n);
  const inv = 1 / (img.bitDepth === 16 ? 65535 : 255);
  const src = img.rgb;
  for (let y = 0; y < h; y++) {
    const y0 = Math.floor((y * H) / h);
    const y1 = Math.max(y0 + 1, Math.floor(((y + 1) * H) / h));
    for (let x = 0; x < w; x++) {
      const x0 = Math.floor((x * W) / w);
      const x1 = Math.max(x0 + 1, Math.floor(((x + 1) * W) / w));
      let r = 0;
      let g = 0;
      let b = 0;
      for (let yy = y0; yy < y1; yy++) {
        let i = (yy * W + x0) * 3;
        for (let xx = x0; xx < x1; xx++, i += 3) {
          r += src[i];
          g += src[i + 1];
          b += src[i + 2];
        }
      }
      const k = inv / ((y1 - y0) * (x1 - x0));
      const d = y * w + x;
      data[d] = r * k;
      data[n + d] = g * k;
      data[2 * n + d] = b * k;
    }
  }
  return { width: w, height: h, data };
}
