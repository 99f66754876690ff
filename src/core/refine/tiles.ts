// Which pixels go through the network: the mask's box plus context, rounded to the model's stride, split into
// overlapping tiles when larger than the model's tile size; the noise estimates of overlapping tiles are blended
// with weights that sum to one.
import { axisWeights, tilesOf, type AxisPlan, type TilePlan, type TileRect } from '../restore/tiling';
import type { Rect } from '../image/types';
import type { EpsFn } from './sampler';

/** The network on one [1, 3, h, w] input (h, w multiples of `stride`) at timestep t; returns eps, same shape. */
export interface EpsModel {
  readonly stride: number;
  run(x: Float32Array, h: number, w: number, t: number): Promise<Float32Array>;
}

/** The part of the photo that runs through the model: `box` inside the photo, padded (edge-replicated) to run size. */
export interface Region {
  x: number;
  y: number;
  w: number; // inside the photo
  h: number;
  runW: number; // multiples of the stride; runW - w columns are replicated past the photo's right edge
  runH: number;
}

function axis(start: number, len: number, ctx: number, stride: number, size: number): [number, number, number] {
  const want = Math.ceil((len + 2 * ctx) / stride) * stride;
  if (want <= size) {
    const centre = start + len / 2;
    const s = Math.min(size - want, Math.max(0, Math.round(centre - want / 2)));
    return [s, want, want];
  }
  return [0, size, Math.ceil(size / stride) * stride];
}

/** The mask's box grown by `context` pixels each side, then to a multiple of `stride` (inside the photo if it fits). */
export function planRegion(box: Rect, width: number, height: number, context: number, stride: number): Region {
  const [x, w, runW] = axis(box.x, box.w, context, stride, width);
  const [y, h, runH] = axis(box.y, box.h, context, stride, height);
  return { x, y, w, h, runW, runH };
}

/**
 * Tiles of at most `tile` pixels covering [0,w) x [0,h), neighbours overlapping by at least `overlap`. Unlike the
 * restorer's plan (restore/tiling.ts), every tile has the same size (the windows are spread evenly instead of the last
 * one being short): the diffusion UNet normalises over the tile (GroupNorm), so a sliver of a tile would see too
 * little of the photo. With w and h multiples of the stride, so are the tiles. Blend weights: restore/tiling.ts.
 */
export function planTiles(w: number, h: number, tile: number, overlap: number, stride: number): TilePlan {
  const t = Math.max(stride, Math.floor(tile / stride) * stride);
  const ov = Math.min(Math.max(0, overlap), t - stride);
  const axis = (len: number): AxisPlan => {
    const size = Math.min(t, len);
    const n = len <= size ? 1 : Math.ceil((len - ov) / (size - ov));
    const spans = Array.from({ length: n }, (_, i) => {
      const start = n === 1 ? 0 : Math.round(((len - size) * i) / (n - 1));
      return { start, end: start + size, padded: size };
    });
    return { length: len, tile: size, overlap: ov, spans };
  };
  const cols = axis(w);
  const rows = axis(h);
  return { width: w, height: h, cols, rows, count: cols.spans.length * rows.spans.length };
}

/** The network over a [3, h, w] state, tiled. One tile = one call; a single tile is passed through untouched. */
export function tiledEps(model: EpsModel, w: number, h: number, tile: number, overlap: number): { eps: EpsFn; tiles: TileRect[] } {
  const plan = planTiles(w, h, tile, overlap, model.stride);
  const tiles = [...tilesOf(plan)];
  if (tiles.length === 1) return { tiles, eps: (x, t) => model.run(x, h, w, t) };
  const wx = plan.cols.spans.map((_, i) => axisWeights(plan.cols, i));
  const wy = plan.rows.spans.map((_, i) => axisWeights(plan.rows, i));
  const weights = tiles.map((tl) => {
    const ax = wx[tl.col];
    const ay = wy[tl.row];
    const wt = new Float32Array(tl.w * tl.h);
    for (let y = 0; y < tl.h; y++) for (let x = 0; x < tl.w; x++) wt[y * tl.w + x] = ay[y] * ax[x];
    return wt;
  });
  const plane = w * h;
  const eps: EpsFn = async (x, t) => {
    const out = new Float32Array(3 * plane);
    for (let i = 0; i < tiles.length; i++) {
      const tl = tiles[i];
      const wt = weights[i];
      const tp = tl.w * tl.h;
      const inp = new Float32Array(3 * tp);
      for (let c = 0; c < 3; c++) {
        for (let y = 0; y < tl.h; y++) {
          const src = c * plane + (tl.y + y) * w + tl.x;
          inp.set(x.subarray(src, src + tl.w), c * tp + y * tl.w);
        }
      }
      const e = await model.run(inp, tl.h, tl.w, t);
      for (let c = 0; c < 3; c++) {
        for (let y = 0; y < tl.h; y++) {
          const dst = c * plane + (tl.y + y) * w + tl.x;
          const src = c * tp + y * tl.w;
          for (let xx = 0; xx < tl.w; xx++) out[dst + xx] += wt[y * tl.w + xx] * e[src + xx];
        }
      }
    }
    return out;
  };
  return { tiles, eps };
}
