// The refine mask: where the strokes (or the user's mask) allow change, grown and feathered, and only ever computed
// inside the bounding box of what was painted, so its cost follows the painted area and not the photo's size.

import type { Rect } from '../image/types';


/** Bounding box of the non-zero pixels of a [w*h] map, or null when there are none. */
export function boundingBox(bin: Uint8Array, w: number, h: number): Rect | null {
  let x0 = w;
  let y0 = h;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < h; y++) {
    const row = y * w;
    let first = -1;
    let last = -1;
    for (let x = 0; x < w; x++) {
      if (bin[row + x] !== 0) {
        if (first < 0) first = x;
        last = x;
      }
    }
    if (first >= 0) {
      if (y < y0) y0 = y;
      y1 = y;
      if (first < x0) x0 = first;
      if (last > x1) x1 = last;
    }
  }
  return x1 < 0 ? null : { x: x0, y: y0, w: x1 - x0 + 1, h: y1 - y0 + 1 };
}

/** A box grown by `by` on every side and clipped to [0, w) x [0, h). */
export function growBox(b: Rect, by: number, w: number, h: number): Rect {
  const x0 = Math.max(0, b.x - by);
  const y0 = Math.max(0, b.y - by);
  const x1 = Math.min(w, b.x + b.w + by);
  const y1 = Math.min(h, b.y + b.h + by);
  return { x: x0, y: y0, w: x1 - x0, h: y1 - y0 };
}

export interface FeatherSpec {
  /** Pixels around the painted area that change fully (mask 1). */
  grow: number;
  /** Width in pixels of the ramp from 1 to 0 beyond that (two box blurs, so a smooth S-shaped edge). */
  feather: number;
}

/** How far beyond the painted pixels the mask reaches (mask > 0 exactly within this Chebyshev distance). */
export function maskReach(spec: FeatherSpec): number {
  return spec.grow + 4 * featherRadius(spec.feather);
}

function featherRadius(feather: number): number {
  return feather <= 0 ? 0 : Math.max(1, Math.round(feather / 4));
}

/** Sliding-window sum of radius r along rows (horizontal) or columns, borders extended (replicated). Integer exact. */
function boxSum(src: Int32Array, w: number, h: number, r: number, horizontal: boolean): Int32Array {
  const out = new Int32Array(w * h);
  const [n, lines, step, lineStep] = horizontal ? [w, h, 1, w] : [h, w, w, 1];
  const at = (base: number, i: number) => src[base + (i < 0 ? 0 : i >= n ? n - 1 : i) * step];
  for (let l = 0; l < lines; l++) {
    const base = l * lineStep;
    let acc = 0;
    for (let i = -r; i <= r; i++) acc += at(base, i);
    for (let i = 0; i < n; i++) {
      out[base + i * step] = acc;
      acc += at(base, i + r + 1) - at(base, i - r);
    }
  }
  return out;
}

/**
 * The feathered mask of a binary map `bin` [w*h] (1 = painted / may change): 1 within `grow` pixels of the painted
 * pixels, 0 beyond grow + 4*round(feather/4), an S-shaped ramp between. Zeros are exact (integer sums). Borders are
 * extended, so paint touching the photo's edge stays at 1 up to it; pass a map with `maskReach` of margin elsewhere.
 */
export function featherMask(bin: Uint8Array, w: number, h: number, spec: FeatherSpec): Float32Array {
  const r = featherRadius(spec.feather);
  const dil = spec.grow + 2 * r;
  let a: Int32Array = new Int32Array(w * h);
  for (let i = 0; i < a.length; i++) a[i] = bin[i] ? 1 : 0;
  if (dil > 0) {
    a = boxSum(boxSum(a, w, h, dil, true), w, h, dil, false);
    for (let i = 0; i < a.length; i++) a[i] = a[i] > 0 ? 1 : 0;
  }
  const out = new Float32Array(w * h);
  if (r === 0) {
    for (let i = 0; i < a.length; i++) out[i] = a[i];
    return out;
  }
  a = boxSum(boxSum(a, w, h, r, true), w, h, r, false);
  a = boxSum(boxSum(a, w, h, r, true), w, h, r, false);
  const full = (2 * r + 1) ** 4;
  for (let i = 0; i < a.length; i++) out[i] = a[i] >= full ? 1 : a[i] / full;
  return out;
}
