// Restores one decoded photo with a restore model: tiled inference with feathered blending, a strength that blends
// the result over the input, progress per tile and cancellation through an AbortSignal. Memory stays bounded: besides
// the input and the output image, only one band of tile rows is held in float.
import * as ort from 'onnxruntime-node';
import type { RestoreModel } from '../../shared/types';
import { throwIfAborted } from '../cancel';
import { axisWeights, padPlanar, planTiles, type TilePlan, type TileRect, tilesOf } from './tiling';
import { createImageLike, toPlanarFloat, writePlanes, type PixelImage } from '../image/planar';
import type { Rect } from '../image/types';
import { keepTones, keepTonesScratch } from './keep-tones';

export type { PixelImage } from '../image/planar';

export interface RestoreOptions {
  /** 0 = the input unchanged, 1 = the network's output; in between, a linear blend. Default 1. */
  strength?: number;
  /** Tile size in pixels; 0/undefined = the model's suggestion. Use Infinity for no tiling. */
  tile?: number;
  /** Called after each tile with the fraction done (0..1]. */
  onProgress?: (fraction: number, tilesDone: number, tiles: number) => void;
  signal?: AbortSignal;
  /** Limit the low-pass part of the network's change (./keep-tones.ts): it may not shift tones over areas. */
  keepTones?: boolean;
}

export interface RestoreStats {
  tiles: number;
  tile: number;
  overlap: number;
  inferenceMs: number; // time inside session.run
  totalMs: number;
}

export interface RestoreResult<I extends PixelImage> {
  image: I;
  stats: RestoreStats;
}

export { CancelledError, isCancel } from '../cancel';

/** The plan restoreImage uses for an image of this size with this model and tile option. */
export function planFor(width: number, height: number, model: RestoreModel, tile?: number): TilePlan {
  const t = tile && tile > 0 ? (Number.isFinite(tile) ? tile : Math.max(width, height)) : model.tile;
  return planTiles(width, height, t, model.receptive_overlap, model.size_multiple);
}

/** Runs the network on one planar [3, h, w] tile of values in [0, 1]; returns planar output in [0, 1]. */
export async function runTile(
  session: ort.InferenceSession,
  model: RestoreModel,
  data: Float32Array,
  h: number,
  w: number,
): Promise<Float32Array> {
  const inName = model.inputs[0];
  const outName = model.outputs[0];
  const res = await session.run({ [inName]: new ort.Tensor('float32', data, [1, 3, h, w]) });
  const out = res[outName];
  if (!out) throw new Error(`the model gave no output named ${outName}`);
  const dims = out.dims;
  if (dims.length !== 4 || dims[1] !== 3 || dims[2] !== h || dims[3] !== w) {
    throw new Error(`the model gave an output of shape [${dims.join(',')}], expected [1,3,${h},${w}]`);
  }
  const o = out.data as Float32Array;
  const [lo, hi] = model.value_range;
  if (lo === 0 && hi === 1) return o;
  const r = new Float32Array(o.length);
  const inv = 1 / (hi - lo);
  for (let i = 0; i < o.length; i++) r[i] = (o[i] - lo) * inv;
  return r;
}

/**
 * Restores `img` with `model` through `session`. The result has the input's size, bit depth, alpha and metadata
 * (alpha and meta are shared with the input, the pixels are new).
 */
export async function restoreImage<I extends PixelImage>(
  img: I,
  model: RestoreModel,
  session: ort.InferenceSession,
  opts: RestoreOptions = {},
): Promise<RestoreResult<I>> {
  const started = performance.now();
  const strength = Math.min(1, Math.max(0, opts.strength ?? 1));
  const { width: W, height: H } = img;
  const plan = planFor(W, H, model, opts.tile);
  const out = createImageLike(img);
  const stats: RestoreStats = { tiles: plan.count, tile: plan.cols.tile, overlap: plan.cols.overlap, inferenceMs: 0, totalMs: 0 };
  throwIfAborted(opts.signal);

  if (strength === 0) {
    out.rgb.set(img.rgb);
    opts.onProgress?.(1, plan.count, plan.count);
    stats.totalMs = performance.now() - started;
    return { image: out, stats };
  }

  const colW = plan.cols.spans.map((_, i) => axisWeights(plan.cols, i));
  const rowW = plan.rows.spans.map((_, i) => axisWeights(plan.rows, i));
  // band accumulator: planar [3][bandRows][W], row 0 = image row `bandY`
  const bandRows = Math.min(plan.rows.tile, H);
  const acc = [0, 1, 2].map(() => new Float32Array(bandRows * W));
  let bandY = 0;
  let done = 0;
  let current = -1;
  const tiles = [...tilesOf(plan)];
  // one input buffer for every tile (the largest tile's size), so the tile loop allocates no input per tile
  const tileBuf = new Float32Array(3 * Math.min(plan.cols.tile, W) * bandRows);
  const toneBuf = opts.keepTones ? new Float32Array(keepTonesScratch(Math.min(plan.cols.tile, W), bandRows)) : undefined;

  const flush = (y0: number, y1: number) => {
    // rows [y0, y1) of the image are final: blend with the input and write them out
    if (y1 <= y0) return;
    const rect: Rect = { x: 0, y: y0, w: W, h: y1 - y0 };
    const n = rect.w * rect.h;
    const rows = (c: number) => acc[c].subarray((y0 - bandY) * W, (y1 - bandY) * W);
    const planes = [rows(0), rows(1), rows(2)];
    if (strength < 1) {
      // blended over the input in the band itself (these rows are final and read no more): no copies
      const inv = 1 / (img.bitDepth === 16 ? 65535 : 255);
      const src = img.rgb;
      for (let c = 0; c < 3; c++) {
        const p = planes[c];
        for (let i = 0, s = y0 * W * 3 + c; i < n; i++, s += 3) {
          const v = src[s] * inv;
          p[i] = v + strength * (p[i] - v);
        }
      }
    }
    writePlanes(out, rect, planes[0], planes[1], planes[2]); // straight from the band
  };

  for (const t of tiles) {
    throwIfAborted(opts.signal);
    if (t.row !== current) {
      if (current >= 0) {
        // rows above this tile row's window are final; keep the overlap rows, zero the rest
        const y = t.y;
        flush(bandY, y);
        for (let c = 0; c < 3; c++) {
          acc[c].copyWithin(0, (y - bandY) * W, bandRows * W);
          acc[c].fill(0, (bandRows - (y - bandY)) * W);
        }
        bandY = y;
      }
      current = t.row;
    }
    await accumulateTile(img, model, session, t, colW[t.col], rowW[t.row], acc, W, bandY, stats, tileBuf, toneBuf);
    done++;
    opts.onProgress?.(done / plan.count, done, plan.count);
  }
  throwIfAborted(opts.signal);
  flush(bandY, H);
  stats.totalMs = performance.now() - started;
  return { image: out, stats };
}

async function accumulateTile(
  img: PixelImage,
  model: RestoreModel,
  session: ort.InferenceSession,
  t: TileRect,
  wx: Float32Array,
  wy: Float32Array,
  acc: Float32Array[],
  W: number,
  bandY: number,
  stats: RestoreStats,
  buf: Float32Array,
  toneBuf?: Float32Array,
): Promise<void> {
  const rect: Rect = { x: t.x, y: t.y, w: t.w, h: t.h };
  const planar = toPlanarFloat(img, rect, buf.subarray(0, 3 * t.w * t.h));
  const input = padPlanar(planar, t.w, t.h, t.padW, t.padH, model.value_range);
  const t0 = performance.now();
  const o = await runTile(session, model, input, t.padH, t.padW);
  stats.inferenceMs += performance.now() - t0;
  if (toneBuf) keepTones(o, t.padW, t.padH, planar, t.w, t.h, toneBuf);
  for (let c = 0; c < 3; c++) {
    const a = acc[c];
    const oc = c * t.padW * t.padH;
    for (let y = 0; y < t.h; y++) {
      const wyv = wy[y];
      if (wyv === 0) continue;
      const arow = (t.y - bandY + y) * W + t.x;
      const orow = oc + y * t.padW;
      for (let x = 0; x < t.w; x++) a[arow + x] += o[orow + x] * wx[x] * wyv;
    }
  }
}
