// Tile plan and feathered blending for running a fully-convolutional restorer on a photo of any size.
//
// Along each axis the photo is cut into windows of `tile` pixels that overlap by `overlap` pixels; window starts are
// multiples of the model's size multiple (so a network that downsamples sees the same pixel grid in every tile as it
// would on the whole photo), and a window at the far edge is reflect-padded up to the size multiple, exactly as the
// whole photo would be. In each overlap the outer quarter on either side is dropped (the pixels a tile's border
// disturbs through the network's receptive field) and the middle half is cross-faded linearly, so at every pixel the
// weights of the tiles covering it sum to one. A network whose receptive radius is at most overlap/4 gives a tiled
// result equal to the untiled one; a wider one still shows no seams, only a smooth blend.

export interface Span {
  start: number; // first pixel of the window in the photo
  end: number; // one past the last pixel of the window in the photo
  padded: number; // length fed to the network: (end - start) rounded up to the size multiple
}

export interface AxisPlan {
  length: number;
  tile: number; // window length used (a multiple of the size multiple)
  overlap: number; // overlap between neighbouring windows (a multiple of the size multiple)
  spans: Span[];
}

export interface TileRect {
  x: number;
  y: number;
  w: number;
  h: number;
  padW: number; // network input width (w rounded up to the size multiple)
  padH: number;
  row: number;
  col: number;
}

export interface TilePlan {
  width: number;
  height: number;
  cols: AxisPlan;
  rows: AxisPlan;
  count: number;
}

export const roundUp = (v: number, m: number): number => Math.ceil(v / m) * m;

/** Window spans along one axis of `length` pixels. */
export function planAxis(length: number, tile: number, overlap: number, multiple: number): AxisPlan {
  if (!(length >= 1)) throw new RangeError(`length must be >= 1, got ${length}`);
  const m = Math.max(1, Math.floor(multiple));
  const ov = roundUp(Math.max(0, Math.ceil(overlap)), m);
  // a window advances by at least one multiple, and is at least two overlaps long so that no pixel lies in three
  // windows (the cross-fades of a window's two ends must not meet)
  const t = Math.max(roundUp(Math.max(1, Math.floor(tile)), m), ov + m, 2 * ov);
  if (length <= t) {
    return { length, tile: t, overlap: ov, spans: [{ start: 0, end: length, padded: roundUp(length, m) }] };
  }
  const step = t - ov;
  const spans: Span[] = [];
  for (let start = 0; ; start += step) {
    const end = Math.min(start + t, length);
    spans.push({ start, end, padded: roundUp(end - start, m) });
    if (end >= length) break;
  }
  return { length, tile: t, overlap: ov, spans };
}

export function planTiles(width: number, height: number, tile: number, overlap: number, multiple: number): TilePlan {
  const cols = planAxis(width, tile, overlap, multiple);
  const rows = planAxis(height, tile, overlap, multiple);
  return { width, height, cols, rows, count: cols.spans.length * rows.spans.length };
}

export function* tilesOf(plan: TilePlan): Generator<TileRect> {
  for (let r = 0; r < plan.rows.spans.length; r++) {
    const ry = plan.rows.spans[r];
    for (let c = 0; c < plan.cols.spans.length; c++) {
      const cx = plan.cols.spans[c];
      yield { x: cx.start, y: ry.start, w: cx.end - cx.start, h: ry.end - ry.start, padW: cx.padded, padH: ry.padded, row: r, col: c };
    }
  }
}

/**
 * Blend weights along one axis for window `i` of the plan, one per pixel of the window (length end - start).
 * For any pixel, the weights of all windows covering it sum to one.
 */
export function axisWeights(plan: AxisPlan, i: number): Float32Array {
  const s = plan.spans[i];
  const n = s.end - s.start;
  const w = new Float32Array(n).fill(1);
  const ov = plan.overlap;
  const margin = Math.floor(ov / 4);
  const ramp = ov - 2 * margin;
  const fade = (k: number): number => {
    // weight of the window on the left/top of an overlap at offset k (0..ov-1) into the overlap
    if (k < margin) return 1;
    if (k >= margin + ramp) return 0;
    return 1 - (k - margin + 0.5) / ramp;
  };
  if (i > 0) {
    // overlap with the previous window: [s.start, prev.end)
    const len = plan.spans[i - 1].end - s.start;
    for (let k = 0; k < len; k++) w[k] *= 1 - fade(k);
  }
  if (i < plan.spans.length - 1) {
    const next = plan.spans[i + 1];
    const len = s.end - next.start;
    for (let k = 0; k < len; k++) w[next.start - s.start + k] *= fade(k);
  }
  return w;
}

/** Mirror index for reflect padding (numpy 'reflect': -1 -> 1, n -> n-2), valid for any offset. */
export function reflectIndex(i: number, n: number): number {
  if (n <= 1) return 0;
  const period = 2 * (n - 1);
  let k = i % period;
  if (k < 0) k += period;
  return k < n ? k : period - k;
}

/**
 * Copies a planar [3, h, w] block into a planar [3, padH, padW] block, filling the extra columns and rows on the
 * right and bottom by reflection, and mapping [0, 1] to the model's value range. Returns `src` itself when there is
 * nothing to pad or map.
 */
export function padPlanar(
  src: Float32Array,
  w: number,
  h: number,
  padW: number,
  padH: number,
  range: [number, number] = [0, 1],
): Float32Array {
  const [lo, hi] = range;
  const scale = hi - lo;
  const identity = lo === 0 && hi === 1;
  if (identity && w === padW && h === padH) return src; // nothing to pad or map: no copy
  const out = new Float32Array(3 * padW * padH);
  for (let c = 0; c < 3; c++) {
    const so = c * w * h;
    const doff = c * padW * padH;
    for (let y = 0; y < padH; y++) {
      const sy = y < h ? y : reflectIndex(y, h);
      const srow = so + sy * w;
      const drow = doff + y * padW;
      if (identity) out.set(src.subarray(srow, srow + w), drow);
      else for (let x = 0; x < w; x++) out[drow + x] = lo + src[srow + x] * scale;
      for (let x = w; x < padW; x++) out[drow + x] = out[drow + reflectIndex(x, w)];
    }
  }
  return out;
}
