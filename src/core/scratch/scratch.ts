// Scratches, cracks, dust and specks: find them (a detector network, tiled at full resolution) and fill them (a
// mask-conditioned network that re-creates the masked pixels from their surroundings). Both networks are small UNets
// trained in training/train_scratch.py; docs/training/scratches.md has what they were trained on and how well they do.
//
// Memory stays bounded whatever the photo's size: the damage probability is one byte per pixel, the mask one byte per
// pixel, and only one tile is held in float at a time. Tiling: neighbouring windows overlap by the model's
// receptive_overlap and each writes only its own half of every overlap, so no accumulation buffer is needed; the fill
// runs only on the windows whose own part holds masked pixels, so its cost follows the damaged area.
import * as ort from 'onnxruntime-node';
import type { FillModel, ScratchModel } from '../../shared/types';
import { throwIfAborted } from '../cancel';
import { downscalePlanar, toPlanarFloat, type PixelImage, type PlanarImage } from '../image/planar';
import type { Rect } from '../image/types';
import { padPlanar, planTiles, tilesOf, type AxisPlan, type TilePlan, type TileRect } from '../restore/tiling';

export interface TileRunStats {
  inferenceMs: number;
  tiles: number;
}

export interface TileRunOptions {
  tile?: number;
  signal?: AbortSignal;
  onProgress?: (fraction: number) => void;
}

/** The part of window `t` it writes: all of it, less half of the overlap on each side that has a neighbour. */
export function ownPart(t: TileRect, plan: TilePlan): Rect {
  const hx = Math.floor(plan.cols.overlap / 2);
  const hy = Math.floor(plan.rows.overlap / 2);
  const x0 = t.col > 0 ? t.x + hx : t.x;
  const y0 = t.row > 0 ? t.y + hy : t.y;
  const x1 = t.col < plan.cols.spans.length - 1 ? t.x + t.w - hx : t.x + t.w;
  const y1 = t.row < plan.rows.spans.length - 1 ? t.y + t.h - hy : t.y + t.h;
  return { x: x0, y: y0, w: x1 - x0, h: y1 - y0 };
}

/** One window of the detector's plan: where it reads (x, y, w, h; fed as padW x padH) and the part it writes. */
export interface DetectWindow {
  x: number;
  y: number;
  w: number;
  h: number;
  padW: number;
  padH: number;
  own: Rect;
}

/** The shortest window the detector runs at a photo's far edge: its own part there has this much context at least. */
export const END_WINDOW = 128;

interface AxisWindow {
  start: number;
  end: number;
  padded: number;
  own0: number;
  own1: number;
}

/**
 * One axis of the detector's plan: the tiling plan's windows and own parts (ownPart), except at the far edge. There
 * the tiling plan pads the last window by reflection up to the size multiple, which mirrors whatever lies along that
 * edge into a band inside the window: a torn-off edge, paper or backing up to the photo's edge, then looks like a
 * stripe across the picture and is missed (seeded validation photos with torn corners and edges: 52 % of their
 * pixels found, 68 % since; a photo turned round was treated differently). So no window is padded where the photo
 * has 2m pixels or more along the axis: the last window keeps its start (the same pixel grid as before) and is cut to
 * the largest multiple of m, owning all but its last m pixels, and a window of max(END_WINDOW, 2 overlaps) (at most
 * the photo's length, rounded down to m) that ends at the photo's edge owns the rest (m to 2m - 1 pixels). Under 2m
 * pixels there is no such pair, and the padded window stays. training/eval_scratch.py anchored_spans is the same rule.
 */
export function detectAxis(plan: AxisPlan, m: number): AxisWindow[] {
  const hx = Math.floor(plan.overlap / 2);
  const n = plan.spans.length;
  const out: AxisWindow[] = plan.spans.map((s, i) => ({
    ...s,
    own0: i > 0 ? s.start + hx : s.start,
    own1: i < n - 1 ? s.end - hx : s.end,
  }));
  const last = out[n - 1];
  const len = last.end - last.start;
  if (len % m === 0 || plan.length < 2 * m) return out;
  const cut = Math.floor(len / m) * m;
  const from = last.start + cut - m; // the end window owns from here (the cut window, if it stays, up to here)
  const endLen = Math.min(Math.floor(plan.length / m) * m, Math.max(END_WINDOW, 2 * plan.overlap));
  const endWindow = { start: plan.length - endLen, end: plan.length, padded: endLen, own0: 0, own1: plan.length };
  if (from > last.own0) {
    out[n - 1] = { start: last.start, end: last.start + cut, padded: cut, own0: last.own0, own1: from };
    endWindow.own0 = from;
  } else {
    out.pop(); // the cut window would own nothing
    endWindow.own0 = last.own0;
  }
  out.push(endWindow);
  return out;
}

/** The detector's windows over a photo (detectAxis along each axis). */
export function planDetect(img: PixelImage, model: ScratchModel, tile?: number): DetectWindow[] {
  const plan = planFor(img, model, tile);
  const m = Math.max(1, Math.floor(model.size_multiple));
  const cols = detectAxis(plan.cols, m);
  const rows = detectAxis(plan.rows, m);
  const out: DetectWindow[] = [];
  for (const r of rows) {
    for (const c of cols) {
      out.push({
        x: c.start,
        y: r.start,
        w: c.end - c.start,
        h: r.end - r.start,
        padW: c.padded,
        padH: r.padded,
        own: { x: c.own0, y: r.own0, w: c.own1 - c.own0, h: r.own1 - r.own0 },
      });
    }
  }
  return out;
}

function planFor(img: PixelImage, model: ScratchModel | FillModel, tile?: number): TilePlan {
  const t = tile && tile > 0 ? Math.min(tile, Math.max(img.width, img.height)) : model.tile;
  // a window must be at least two overlaps long (tiling.ts); the model's overlap wins over a smaller tile
  return planTiles(img.width, img.height, t, model.receptive_overlap, model.size_multiple);
}

const sigmoid = (v: number): number => 1 / (1 + Math.exp(-v));

/** The coarse pass sees the photo shrunk by this factor (torn corners and wide cracks wider than its reach). */
export const COARSE_FACTOR = 4;

/**
 * The coarse pass's marks count only in regions of at least this many of its pixels (8-connected, at the threshold
 * in use): 4096 pixels of the photo, e.g. 64 x 64, or a crack 4 px wide and 1000 long. It is there for what is too
 * wide for the fine pass; its small marks were mostly false ones (clean validation photos: 0.27 % of pixels marked
 * -> 0.18 %, while F1 on seeded damage rose 0.733 -> 0.748; docs/training/scratches.md).
 */
export const COARSE_MIN_AREA = 256;

/**
 * The damage probability of every pixel, 0..255 (one byte per pixel, row-major): the detector run tiled over the whole
 * photo at full resolution, and once more over the photo shrunk COARSE_FACTOR times (area average), whose probability,
 * upsampled bilinearly, counts where it is higher: a torn corner or a wide crack is too wide for the full-resolution
 * pass to see as one thing. With `threshold` (the one the mask will use), the coarse pass's regions at or above it
 * smaller than COARSE_MIN_AREA are dropped first, and after both, what DARK_FLAT, DARK_LINE and a print's border
 * (scanFrame) say is not damage. The coarse pass costs 1/16 of the fine one. Photos under 256 px skip it.
 */
export async function detectDamage(
  img: PixelImage,
  model: ScratchModel,
  session: ort.InferenceSession,
  opts: TileRunOptions & { threshold?: number } = {},
): Promise<{ prob: Uint8Array } & TileRunStats> {
  const { width: W, height: H } = img;
  const coarse = Math.min(W, H) >= 64 * COARSE_FACTOR;
  const share = coarse ? 0.94 : 1;
  const fine = await detectPass(img, model, session, {
    ...opts,
    turn: model.tta === 'rot180',
    onProgress: (f) => opts.onProgress?.(share * f),
  });
  const { threshold } = opts;
  if (coarse) {
    const small = toPixelImage(downscalePlanar(img, Math.round(Math.max(W, H) / COARSE_FACTOR)));
    // run once: turned half round too, it finds less of the wide damage it is there for (seeded validation: F1
    // 0.812 -> 0.800)
    const c = await detectPass(small, model, session, {
      ...opts,
      turn: false,
      onProgress: (f) => opts.onProgress?.(share + (1 - share) * f),
    });
    if (threshold !== undefined) dropSmallRegions(c.prob, small.width, small.height, threshold, COARSE_MIN_AREA);
    maxUpsampled(fine.prob, W, H, c.prob, small.width, small.height);
    fine.inferenceMs += c.inferenceMs;
    fine.tiles += c.tiles;
  }
  if (threshold !== undefined) {
    dropDarkFlatRegions(fine.prob, img, threshold);
    dropDarkLines(fine.prob, img, threshold);
    clearFrame(fine.prob, W, H, scanFrame(img));
  }
  return fine;
}

/**
 * A print's border or a scan's margin: uniform lines of one colour along at least two sides of the photo (a white or
 * cream print border, a black mount or scanner lid). The detector takes a border for a torn-off edge and the fill
 * paints the photo into it (a 40 px white border: 13 % of the photo marked), so nothing in it, nor within `margin`
 * pixels of its inner edge (the border's edge looks like a scratch), is damage. A line belongs to the border while its
 * mean absolute difference from the outermost line's mean colour is at most `tol` and at most `outlierShare` of its
 * pixels differ by more than `outlier` (dust on the border); at most `maxDepth` of the photo's side deep; a side needs
 * `minWidth` lines, and another side whose border colour is within `sameColour` (a clear sky alone is no border).
 * A side's edge line on its own, 1 to `edgeLines` lines of one colour that the next line differs from by more than
 * `edgeContrast` (mean absolute difference), is a border too: the black or white line a crop or a scanner leaves along
 * one side (LIVE1's churchandcapitol has one; it was filled, 60 -> 30.6 dB to the photo itself).
 */
export const FRAME = {
  maxDepth: 0.25,
  tol: 0.04,
  outlier: 0.15,
  outlierShare: 0.03,
  minWidth: 3,
  margin: 3,
  sameColour: 0.08,
  edgeLines: 2,
  edgeContrast: 0.15,
};

export interface Frame {
  top: number;
  bottom: number;
  left: number;
  right: number;
}

type Side = keyof Frame;
const SIDES: Side[] = ['top', 'bottom', 'left', 'right'];

/** The border found along each side of `img` (0 = none), by FRAME's rule. */
export function scanFrame(img: PixelImage, rule = FRAME): Frame {
  const { width: W, height: H, rgb } = img;
  const scale = img.bitDepth === 16 ? 65535 : 255;
  // pixel index of position t along line k from `side`
  const at = (side: Side, k: number, t: number): number =>
    side === 'top' ? k * W + t : side === 'bottom' ? (H - 1 - k) * W + t : side === 'left' ? t * W + k : t * W + (W - 1 - k);
  const found = SIDES.map((side) => {
    const len = side === 'top' || side === 'bottom' ? W : H;
    const depthMax = Math.floor((side === 'top' || side === 'bottom' ? H : W) * rule.maxDepth);
    const ref = [0, 0, 0];
    for (let t = 0; t < len; t++) for (let c = 0; c < 3; c++) ref[c] += rgb[3 * at(side, 0, t) + c] / scale / len;
    let depth = 0;
    let next = 0; // the mean difference of the first line past the border from its colour
    for (; depth < depthMax; depth++) {
      let dev = 0;
      let out = 0;
      for (let t = 0; t < len; t++) {
        const i = 3 * at(side, depth, t);
        let d = 0;
        for (let c = 0; c < 3; c++) d = Math.max(d, Math.abs(rgb[i + c] / scale - ref[c]));
        dev += d;
        if (d > rule.outlier) out++;
      }
      if (dev / len > rule.tol || out > rule.outlierShare * len) {
        next = dev / len;
        break;
      }
    }
    const line = depth >= 1 && depth <= rule.edgeLines && next > rule.edgeContrast;
    return { side, depth: depth >= rule.minWidth || line ? depth : 0, line, ref };
  });
  const frame: Frame = { top: 0, bottom: 0, left: 0, right: 0 };
  for (const a of found) {
    if (!a.depth) continue;
    if (a.line && a.depth < rule.minWidth) {
      frame[a.side] = a.depth;
      continue;
    }
    const twin = found.some(
      (b) => b !== a && b.depth && Math.max(...b.ref.map((v, c) => Math.abs(v - a.ref[c]))) <= rule.sameColour,
    );
    if (twin) frame[a.side] = a.depth;
  }
  return frame;
}

/** Sets the probability to 0 inside the frame and `margin` pixels beyond its inner edge. */
export function clearFrame(prob: Uint8Array, W: number, H: number, f: Frame, margin = FRAME.margin): void {
  const t = f.top ? Math.min(H, f.top + margin) : 0;
  const b = f.bottom ? Math.min(H, f.bottom + margin) : 0;
  const l = f.left ? Math.min(W, f.left + margin) : 0;
  const r = f.right ? Math.min(W, f.right + margin) : 0;
  if (!(t || b || l || r)) return;
  for (let y = 0; y < H; y++) {
    const row = y * W;
    if (y < t || y >= H - b) {
      prob.fill(0, row, row + W);
      continue;
    }
    if (l) prob.fill(0, row, row + l);
    if (r) prob.fill(0, row + W - r, row + W);
  }
}

/**
 * What is never taken for damage: a region (8-connected, at the threshold in use) of at least `minArea` pixels that is
 * thick (pixels per boundary pixel >= `minThickness`: not a scratch or a crack, which are all edge), near black (mean
 * luma <= `maxLuma`) and flat (its standard deviation <= `maxStd`): the black around a round or oval mount, a scan's
 * dark background, a deep shadow (maxLuma was 0.08 until the shadow of a high-ISO camera shot, luma 0.11, was
 * filled with a smear; raising it changed nothing on the validation sets). The detector learnt torn corners on a dark backing, which look the same; filling
 * those smears the photo into its mount (docs/training/scratches.md, old photo g), while leaving a real one is no harm.
 * maxStd was 0.03 until the detector's windows stopped being padded at the far edge (detectAxis): a dark hillside
 * in the corner of a grainy print (luma 0.05, standard deviation 0.030 from the grain) was then taken for a torn
 * corner on a dark backing, 13 % of the photo.
 */
export const DARK_FLAT = { minArea: 1024, minThickness: 4, maxLuma: 0.12, maxStd: 0.05 };

/** Sets the probability of every region DARK_FLAT describes to 0 (see there); one byte per pixel, row-major. */
export function dropDarkFlatRegions(prob: Uint8Array, img: PixelImage, threshold: number, rule = DARK_FLAT): void {
  forEachRegion(prob, img.width, img.height, threshold, (region) => {
    const n = region.length;
    if (n < rule.minArea) return;
    const { mean, std, edge } = regionMeasures(region, prob, img, threshold);
    if (n >= rule.minThickness * edge && mean <= rule.maxLuma && std <= rule.maxStd) for (const i of region) prob[i] = 0;
  });
}

/**
 * What the region rules read of a region (pixel indices, at `threshold` in `prob`): its luma's mean and standard
 * deviation (0..1) and its edge pixels, those with a 4-neighbour in the photo outside it (the photo's own border is
 * not an edge).
 */
function regionMeasures(region: number[], prob: Uint8Array, img: PixelImage, threshold: number): { mean: number; std: number; edge: number } {
  const { width: w, height: h, rgb } = img;
  const scale = img.bitDepth === 16 ? 65535 : 255;
  const outside = (j: number): boolean => prob[j] < threshold;
  let sum = 0;
  let sq = 0;
  let edge = 0;
  for (const i of region) {
    const v = lumaAt(rgb, i) / scale;
    sum += v;
    sq += v * v;
    const x = i % w;
    const y = (i - x) / w;
    if ((x > 0 && outside(i - 1)) || (x < w - 1 && outside(i + 1)) || (y > 0 && outside(i - w)) || (y < h - 1 && outside(i + w))) {
      edge++;
    }
  }
  const mean = sum / region.length;
  return { mean, std: Math.sqrt(Math.max(0, sq / region.length - mean * mean)), edge };
}

/**
 * What is never taken for damage either: a thick, long, dark line darker than what is around it (a region, as above,
 * whose pixels per boundary pixel, about half its width, are at least `minHalfWidth`; at least `elongation` times
 * that squared in pixels, i.e. at least about four times as long as wide, so a round speck is not one; mean luma at
 * most `maxLuma` and at least `minContrast` below the mean of the photo within `ring` px around it). A cable, a
 * wire, a butterfly's veins, a window's leading, a mast: the detector learnt dark scratches up to 10 px wide, and
 * filled those erased them (docs/training/scratches.md, "Thick dark lines"). On a print, a scratch through the
 * emulsion shows the paper (white); dark ones come from the negative and are thin, and stay found.
 */
export const DARK_LINE = { minHalfWidth: 2, elongation: 16, maxLuma: 0.3, minContrast: 0.1, ring: 3 };

/** Sets the probability of every region DARK_LINE describes to 0 (see there); one byte per pixel, row-major. */
export function dropDarkLines(prob: Uint8Array, img: PixelImage, threshold: number, rule = DARK_LINE): void {
  const { width: w, height: h, rgb } = img;
  const scale = img.bitDepth === 16 ? 65535 : 255;
  const outside = (j: number): boolean => prob[j] < threshold;
  const stamp = new Int32Array(w * h); // which region's ring a pixel was counted in
  const drop: number[][] = []; // zeroed at the end, so every ring is read from the mask as it came
  let id = 0;
  forEachRegion(prob, w, h, threshold, (region) => {
    id++;
    const n = region.length;
    if (n < rule.elongation * rule.minHalfWidth * rule.minHalfWidth) return;
    const { mean, edge } = regionMeasures(region, prob, img, threshold);
    const half = n / Math.max(1, edge);
    if (half < rule.minHalfWidth || n < rule.elongation * half * half || mean > rule.maxLuma) return;
    let ringSum = 0;
    let ringN = 0;
    for (const i of region) {
      const x = i % w;
      const y = (i - x) / w;
      // the ring: pixels outside the mask within `ring` px (a square), each once; only a pixel next to the outside
      // can have one (a straight line from an inner pixel leaves the region through such a pixel, no farther away)
      let border = false;
      for (let dy = -1; dy <= 1 && !border; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const xx = x + dx;
          const yy = y + dy;
          if (xx >= 0 && xx < w && yy >= 0 && yy < h && outside(yy * w + xx)) {
            border = true;
            break;
          }
        }
      }
      if (!border) continue;
      const r = rule.ring;
      for (let yy = Math.max(0, y - r); yy <= Math.min(h - 1, y + r); yy++) {
        for (let xx = Math.max(0, x - r); xx <= Math.min(w - 1, x + r); xx++) {
          const j = yy * w + xx;
          if (stamp[j] === id || !outside(j)) continue;
          stamp[j] = id;
          ringSum += lumaAt(rgb, j) / scale;
          ringN++;
        }
      }
    }
    if (ringN > 0 && ringSum / ringN - mean >= rule.minContrast) drop.push(region.slice());
  });
  for (const region of drop) for (const i of region) prob[i] = 0;
}

/** Rec. 601 luma of pixel i of interleaved RGB, in the array's own units. */
function lumaAt(rgb: PixelImage['rgb'], i: number): number {
  return 0.299 * rgb[3 * i] + 0.587 * rgb[3 * i + 1] + 0.114 * rgb[3 * i + 2];
}

/** A planar float image as a 16-bit PixelImage (what the tile loop reads). */
function toPixelImage(p: PlanarImage): PixelImage {
  const n = p.width * p.height;
  const rgb = new Uint16Array(3 * n);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < 3; c++) rgb[3 * i + c] = Math.round(Math.min(1, Math.max(0, p.data[c * n + i])) * 65535);
  }
  return { width: p.width, height: p.height, bitDepth: 16, rgb };
}

/** Source index and weight of bilinear upsampling (PyTorch's align_corners=False) for output position i. */
function lerpAt(i: number, out: number, src: number): [number, number, number] {
  const f = Math.max(0, (i + 0.5) * (src / out) - 0.5);
  const i0 = Math.min(Math.floor(f), src - 1);
  return [i0, Math.min(i0 + 1, src - 1), f - i0];
}

/**
 * Sets to 0 every region of pixels at or above `threshold` (8-connected) that has fewer than `minArea` pixels; the
 * rest of `prob` is left as it is. One byte per pixel, row-major; a flood fill with an explicit stack.
 */
export function dropSmallRegions(prob: Uint8Array, w: number, h: number, threshold: number, minArea: number): void {
  forEachRegion(prob, w, h, threshold, (region) => {
    if (region.length < minArea) for (const i of region) prob[i] = 0;
  });
}

/**
 * Calls `visit` with the pixel indices of every region of pixels at or above `threshold` (8-connected; the array is
 * reused between calls). One byte per pixel, row-major; a flood fill with an explicit stack, O(pixels).
 */
export function forEachRegion(
  prob: Uint8Array,
  w: number,
  h: number,
  threshold: number,
  visit: (region: number[]) => void,
): void {
  const seen = new Uint8Array(w * h);
  const stack: number[] = [];
  const region: number[] = [];
  for (let start = 0; start < prob.length; start++) {
    if (seen[start] || prob[start] < threshold) continue;
    seen[start] = 1;
    stack.push(start);
    region.length = 0;
    while (stack.length) {
      const i = stack.pop()!;
      region.push(i);
      const x = i % w;
      const y = (i - x) / w;
      for (let dy = -1; dy <= 1; dy++) {
        const yy = y + dy;
        if (yy < 0 || yy >= h) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const xx = x + dx;
          if (xx < 0 || xx >= w) continue;
          const j = yy * w + xx;
          if (!seen[j] && prob[j] >= threshold) {
            seen[j] = 1;
            stack.push(j);
          }
        }
      }
    }
    visit(region);
  }
}

/** dst = max(dst, small upsampled bilinearly to dst's size), both one byte per pixel. */
export function maxUpsampled(dst: Uint8Array, W: number, H: number, small: Uint8Array, w: number, h: number): void {
  // the column lookups once, in typed arrays (this runs over every pixel of a 12 MP photo)
  const X0 = new Int32Array(W);
  const X1 = new Int32Array(W);
  const TX = new Float32Array(W);
  for (let x = 0; x < W; x++) [X0[x], X1[x], TX[x]] = lerpAt(x, W, w);
  for (let y = 0; y < H; y++) {
    const [y0, y1, ty] = lerpAt(y, H, h);
    const r0 = y0 * w;
    const r1 = y1 * w;
    const row = y * W;
    for (let x = 0; x < W; x++) {
      const x0 = X0[x];
      const x1 = X1[x];
      const a = small[r0 + x0];
      const b = small[r0 + x1];
      const c = small[r1 + x0];
      const d = small[r1 + x1];
      if ((a | b | c | d) === 0) continue; // nothing found here at the coarse scale (most of a photo)
      const tx = TX[x];
      const top = a + tx * (b - a);
      const bot = c + tx * (d - c);
      const v = Math.round(top + ty * (bot - top));
      if (v > dst[row + x]) dst[row + x] = v;
    }
  }
}

/**
 * A detector whose manifest entry says `tta: "rot180"` is run twice on each window of the full-resolution pass: as it
 * is, and turned half round (180 degrees); its logit is the mean of the two, the second turned back. Where the network
 * is unsure (thin real structures it may take for scratches) the two runs tend to disagree, and the mean marks fewer
 * of them (seeded validation, docs/training/scratches.md: gain +5.91 -> +6.37 dB, F1 0.809 -> 0.812, undamaged photos
 * 0.080 % -> 0.054 % marked). A window whose logit stays under TTA_FROM_LOGIT everywhere (probability 0.05; the
 * lowest threshold is 0.30) is not run again: its mean could reach the threshold only where the turned run was sure of
 * a mark the first run all but ruled out. training/eval_scratch.py window_logit does the same.
 */
export const TTA_FROM_LOGIT = -2.944;

function maxOf(a: Float32Array): number {
  let m = -Infinity;
  for (let i = 0; i < a.length; i++) if (a[i] > m) m = a[i];
  return m;
}

/** `src` (planes of n values) turned 180 degrees into `dst`: each plane read backwards. */
function turn180(src: Float32Array, dst: Float32Array, n: number): void {
  for (let c = 0; c < src.length; c += n) {
    for (let i = 0; i < n; i++) dst[c + i] = src[c + n - 1 - i];
  }
}

/** One tiled pass of the detector over `img` at its own resolution; with `turn`, each window turned half round too. */
async function detectPass(
  img: PixelImage,
  model: ScratchModel,
  session: ort.InferenceSession,
  opts: TileRunOptions & { turn?: boolean } = {},
): Promise<{ prob: Uint8Array } & TileRunStats> {
  const { width: W, height: H } = img;
  const windows = planDetect(img, model, opts.tile);
  const prob = new Uint8Array(W * H);
  const stats: TileRunStats = { inferenceMs: 0, tiles: 0 };
  let done = 0;
  // one input buffer for every window (the largest one's size), as the restorer's tile loop does
  const most = 3 * Math.max(...windows.map((t) => t.padW)) * Math.max(...windows.map((t) => t.padH));
  const buf = new Float32Array(most);
  const turnedBuf = opts.turn ? new Float32Array(most) : undefined;
  const run = async (input: Float32Array, t: DetectWindow): Promise<Float32Array> => {
    const t0 = performance.now();
    const res = await session.run({ [model.inputs[0]]: new ort.Tensor('float32', input, [1, 3, t.padH, t.padW]) });
    stats.inferenceMs += performance.now() - t0;
    stats.tiles++;
    const out = res[model.outputs[0]];
    if (!out || out.dims[2] !== t.padH || out.dims[3] !== t.padW) {
      throw new Error(`the scratch detector gave no ${model.outputs[0]} of ${t.padW}x${t.padH}`);
    }
    return out.data as Float32Array;
  };
  for (const t of windows) {
    throwIfAborted(opts.signal);
    const planar = toPlanarFloat(img, { x: t.x, y: t.y, w: t.w, h: t.h }, buf.subarray(0, 3 * t.w * t.h));
    const input = padPlanar(planar, t.w, t.h, t.padW, t.padH, [0, 1]);
    const logit = await run(input, t);
    if (turnedBuf && maxOf(logit) >= TTA_FROM_LOGIT) {
      const n = t.padW * t.padH;
      const turned = turnedBuf.subarray(0, 3 * n);
      turn180(input, turned, n);
      const back = await run(turned, t);
      for (let i = 0; i < n; i++) logit[i] = (logit[i] + back[n - 1 - i]) / 2;
    }
    const { own } = t;
    for (let y = own.y; y < own.y + own.h; y++) {
      const src = (y - t.y) * t.padW - t.x;
      const dst = y * W;
      for (let x = own.x; x < own.x + own.w; x++) {
        const l = logit[src + x];
        // below -6.24 the byte is 0 whatever the exp gives (255 sigmoid(-6.24) = 0.496): most of a photo, no exp
        prob[dst + x] = l < -6.24 ? 0 : Math.round(255 * sigmoid(l));
      }
    }
    opts.onProgress?.(++done / windows.length);
  }
  return { prob, ...stats };
}

/**
 * The detector's probability threshold (0..255) for a sensitivity in [0, 1]: 0 -> 0.97 (only what it is sure of), the
 * default 0.5 -> 0.85, 1 -> 0.30 (everything it suspects), linear in between. The default is where undamaged photos
 * get about half a per cent of their pixels marked (docs/training/scratches.md): filling what belongs to the photo is
 * worse than leaving a speck.
 */
export function thresholdFor(sensitivity: number): number {
  const s = Math.min(1, Math.max(0, sensitivity));
  const p = s <= 0.5 ? 0.97 - 0.24 * s : 0.85 - 1.1 * (s - 0.5);
  return Math.round(255 * p);
}

/**
 * The fill mask from the damage probability: pixels at or above the threshold, grown by `grow` pixels (a square
 * neighbourhood: scratch edges are soft, and the fill was trained on masks grown so). 1 = fill, 0 = keep.
 */
export function maskFromProb(prob: Uint8Array, w: number, h: number, threshold: number, grow = 1): Uint8Array {
  const bin = new Uint8Array(w * h);
  for (let i = 0; i < bin.length; i++) bin[i] = prob[i] >= threshold ? 1 : 0;
  return dilate(bin, w, h, grow);
}

function isZero(a: Uint8Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (a[i] !== 0) return false;
  return true;
}

/** Square dilation by r pixels (separable: rows, then columns; running counts, so O(pixels) whatever r). */
export function dilate(bin: Uint8Array, w: number, h: number, r: number): Uint8Array {
  if (r <= 0) return bin;
  const tmp = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    const row = y * w;
    if (isZero(bin, row, row + w)) continue; // an empty row stays empty (most rows of a photo)
    let count = 0;
    for (let x = 0; x < Math.min(w, r); x++) count += bin[row + x];
    for (let x = 0; x < w; x++) {
      if (x + r < w) count += bin[row + x + r];
      if (x - r - 1 >= 0) count -= bin[row + x - r - 1];
      tmp[row + x] = count > 0 ? 1 : 0;
    }
  }
  // the vertical pass row by row (a running count per column), so memory is read in order
  const out = new Uint8Array(w * h);
  const count = new Int32Array(w);
  for (let y = 0; y < Math.min(h, r); y++) {
    const row = y * w;
    for (let x = 0; x < w; x++) count[x] += tmp[row + x];
  }
  for (let y = 0; y < h; y++) {
    if (y + r < h) {
      const add = (y + r) * w;
      for (let x = 0; x < w; x++) count[x] += tmp[add + x];
    }
    if (y - r - 1 >= 0) {
      const sub = (y - r - 1) * w;
      for (let x = 0; x < w; x++) count[x] -= tmp[sub + x];
    }
    const row = y * w;
    for (let x = 0; x < w; x++) out[row + x] = count[x] > 0 ? 1 : 0;
  }
  return out;
}

function anyIn(mask: Uint8Array, W: number, r: Rect): boolean {
  for (let y = r.y; y < r.y + r.h; y++) {
    const row = y * W;
    for (let x = r.x; x < r.x + r.w; x++) if (mask[row + x]) return true;
  }
  return false;
}

export interface FillOptions extends TileRunOptions {
  /**
   * The mask is the detector's guess: a guided fill network (a third input, `guide`) may look at the pixels under it
   * and give back the photo's own structure where a mark was wrong. Off (the default) for a mask someone painted or
   * gave as a file: whatever is under it is replaced. A fill without the input ignores it.
   */
  guided?: boolean;
}

/**
 * `img` with its masked pixels (mask 1) re-created by the fill network from their surroundings; every other pixel is
 * the input's exactly. Only the windows whose own part holds masked pixels run. Returns a new image (alpha and
 * metadata shared with the input).
 */
export async function fillMasked<I extends PixelImage>(
  img: I,
  mask: Uint8Array,
  model: FillModel,
  session: ort.InferenceSession,
  opts: FillOptions = {},
): Promise<{ image: I } & TileRunStats> {
  const { width: W, height: H } = img;
  if (mask.length !== W * H) throw new RangeError(`the mask has ${mask.length} pixels, the photo ${W * H}`);
  const image = { ...img, rgb: img.rgb.slice() } as I;
  const stats: TileRunStats = { inferenceMs: 0, tiles: 0 };
  const plan = planFor(img, model, opts.tile);
  const todo = [...tilesOf(plan)].filter((t) => anyIn(mask, W, ownPart(t, plan)));
  const max = img.bitDepth === 16 ? 65535 : 255;
  const guideValue = new ort.Tensor('float32', [opts.guided ? 1 : 0], [1, 1, 1, 1]);
  const guide = model.inputs.length > 2 ? { [model.inputs[2]]: guideValue } : {};
  let done = 0;
  for (const t of todo) {
    throwIfAborted(opts.signal);
    const rect = { x: t.x, y: t.y, w: t.w, h: t.h };
    const rgb = padPlanar(toPlanarFloat(img, rect), t.w, t.h, t.padW, t.padH, [0, 1]);
    // the mask tile, padded by reflection like the image (padPlanar works on three planes: use the first)
    const m3 = new Float32Array(3 * t.w * t.h);
    for (let y = 0; y < t.h; y++) {
      for (let x = 0; x < t.w; x++) m3[y * t.w + x] = mask[(t.y + y) * W + t.x + x];
    }
    const mpad = padPlanar(m3, t.w, t.h, t.padW, t.padH, [0, 1]).slice(0, t.padW * t.padH);
    const t0 = performance.now();
    const res = await session.run({
      [model.inputs[0]]: new ort.Tensor('float32', rgb, [1, 3, t.padH, t.padW]),
      [model.inputs[1]]: new ort.Tensor('float32', mpad, [1, 1, t.padH, t.padW]),
      ...guide,
    });
    stats.inferenceMs += performance.now() - t0;
    stats.tiles++;
    const out = res[model.outputs[0]];
    if (!out || out.dims[1] !== 3 || out.dims[2] !== t.padH || out.dims[3] !== t.padW) {
      throw new Error(`the fill network gave no ${model.outputs[0]} of ${t.padW}x${t.padH}`);
    }
    const o = out.data as Float32Array;
    const plane = t.padW * t.padH;
    const own = ownPart(t, plan);
    for (let y = own.y; y < own.y + own.h; y++) {
      for (let x = own.x; x < own.x + own.w; x++) {
        const i = y * W + x;
        if (!mask[i]) continue;
        const s = (y - t.y) * t.padW + (x - t.x);
        for (let c = 0; c < 3; c++) {
          const v = o[c * plane + s];
          image.rgb[i * 3 + c] = v > 0 ? (v < 1 ? (v * max + 0.5) | 0 : max) : 0;
        }
      }
    }
    opts.onProgress?.(++done / todo.length);
  }
  opts.onProgress?.(1);
  return { image, ...stats };
}

/** Marked pixels of a mask (count, and share of the photo). */
export function maskStats(mask: Uint8Array): { pixels: number; fraction: number } {
  let n = 0;
  for (let i = 0; i < mask.length; i++) n += mask[i] ? 1 : 0;
  return { pixels: n, fraction: mask.length ? n / mask.length : 0 };
}

/**
 * Fills holes of planar [3, h, w] values in [-1, 1] in place (refine's guide: a masked area with no paint is started
 * from its surroundings) with the fill network; pixels outside the holes are not touched.
 */
export type HoleFiller = (planes: Float32Array, w: number, h: number, hole: Uint8Array) => Promise<void>;

export function networkHoleFiller(model: FillModel, session: ort.InferenceSession): HoleFiller {
  return async (planes, w, h, hole) => {
    const n = w * h;
    // through a 16-bit image (1/65535 steps: below anything the sampler resolves), so fillMasked's tiling serves
    const rgb = new Uint16Array(3 * n);
    for (let i = 0; i < n; i++) {
      for (let c = 0; c < 3; c++) rgb[3 * i + c] = Math.round(Math.min(1, Math.max(0, (planes[c * n + i] + 1) / 2)) * 65535);
    }
    const { image } = await fillMasked({ width: w, height: h, bitDepth: 16, rgb }, hole, model, session);
    for (let i = 0; i < n; i++) {
      if (!hole[i]) continue;
      for (let c = 0; c < 3; c++) planes[c * n + i] = (image.rgb[3 * i + c] / 65535) * 2 - 1;
    }
  };
}
