// SDEdit on a photo (Meng et al. 2021, arXiv 2108.01073): the strokes are alpha-blended onto the photo, the masked
// area's box (plus context) is noised to t0 = strength * T and denoised with DDIM steps, K times; outside the mask
// the photo's own pixels are restored exactly. Only that box goes through the network, tiled when large. Where a
// mask is given and nothing is painted, the guide is first filled from the surroundings (the fill network of the
// scratch stage when installed, else push-pull, fill.ts).
import { describeRange, inRange, RANGES, type Range } from '../../shared/limits';
import type { Rect } from '../image/types';
import { fillHoles } from './fill';
import { boundingBox, featherMask, growBox, maskReach, type FeatherSpec } from './mask';
import { Rng, type NoiseSource } from './rng';
import { throwIfAborted } from '../cancel';
import type { PixelImage } from '../image/planar';
import { evaluations, sdedit } from './sampler';
import { ddimTimesteps, strengthToT0, type Schedule } from './schedule';
import type { TileRect } from '../restore/tiling';
import { planRegion, tiledEps, type EpsModel, type Region } from './tiles';


export interface RefineParams {
  strength: number; // t0 / T
  steps: number; // network evaluations per repeat
  repeats: number;
  seed: number;
  eta: number;
  /** RePaint-style resamplings of each step but the last (0 = plain SDEdit); each adds steps - 1 evaluations. */
  jumps?: number;
}

export interface RefineOptions extends RefineParams {
  /** Mask growth and feathering around the painted pixels (default grow 4, feather 12). */
  mask?: FeatherSpec;
  /** Pixels of photo around the mask's box that the network also sees (default 16). */
  context?: number;
  /** Largest tile side the network runs on (default: the model's suggestion) and the overlap between tiles. */
  tile: number;
  overlap?: number;
  /**
   * Fills a masked area that has no paint on it before noising, in place (planar [3, h, w] in [-1, 1]); default: a
   * push-pull fill from the surroundings (fill.ts). The engine passes the fill network when one is installed.
   */
  fillHoles?: (planes: Float32Array, w: number, h: number, hole: Uint8Array) => Promise<void>;
  /** Replaces the seeded generator (the parity test feeds PyTorch's noise through here). */
  noise?: NoiseSource;
  signal?: AbortSignal;
  /** After each network evaluation of the whole region: step in 1..steps (all repeats counted). */
  onStep?: (step: number, steps: number) => void;
}

export interface RefineInput<I extends PixelImage> {
  image: I;
  /** RGBA, width*height*4, 8-bit: painted where alpha > 0, blended by alpha. */
  strokes: Uint8Array;
  /** Optional width*height map, non-zero = may change. Defaults to the painted pixels. */
  mask?: Uint8Array;
}

export interface RefineStats {
  t0: number;
  timesteps: number[];
  box: Rect; // where the mask is non-zero
  region: Region; // what the network saw
  tiles: TileRect[];
  evaluations: number; // of the whole region
}

export class RefineError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RefineError';
  }
}

export const DEFAULT_FEATHER: FeatherSpec = { grow: 4, feather: 12 };
export const DEFAULT_CONTEXT = 16;

export function checkParams(p: RefineParams): void {
  const bad = (what: string) => {
    throw new RefineError(what);
  };
  const check = (name: 'strength' | 'steps' | 'repeats', v: number, r: Range) => {
    if (!inRange(r, v)) bad(`${name} must be ${describeRange(r)} (got ${v})`);
  };
  check('strength', p.strength, RANGES.refineStrength);
  check('steps', p.steps, RANGES.refineSteps);
  check('repeats', p.repeats, RANGES.refineRepeats);
  if (!Number.isFinite(p.seed)) bad(`seed must be a number (got ${p.seed})`);
  if (!inRange(RANGES.eta, p.eta)) bad(`eta must be ${describeRange(RANGES.eta)} (got ${p.eta})`);
  if (!inRange(RANGES.refineJumps, p.jumps ?? 0)) bad(`jumps must be ${describeRange(RANGES.refineJumps)} (got ${p.jumps})`);
}

/**
 * Refines `input.image` where the strokes (or the mask) say. Returns a new image of the same kind (every other field
 * of the input, e.g. alpha and metadata, is kept) whose pixels outside the feathered mask are the input's, bit for bit.
 */
export async function refineImage<I extends PixelImage>(
  input: RefineInput<I>,
  model: EpsModel,
  sched: Schedule,
  opt: RefineOptions,
): Promise<{ image: I; stats: RefineStats }> {
  checkParams(opt);
  const { image, strokes } = input;
  const { width: W, height: H } = image;
  const n = W * H;
  if (strokes.length !== n * 4) throw new RefineError(`the strokes must be an RGBA image the size of the photo (${W}x${H})`);
  if (input.mask && input.mask.length !== n) throw new RefineError(`the mask must be the size of the photo (${W}x${H})`);
  const userMask = input.mask !== undefined;
  const bin = new Uint8Array(n);
  if (input.mask) for (let i = 0; i < n; i++) bin[i] = input.mask[i] ? 1 : 0;
  else for (let i = 0; i < n; i++) bin[i] = strokes[4 * i + 3] ? 1 : 0;
  const painted = boundingBox(bin, W, H);
  if (!painted) throw new RefineError(userMask ? 'the mask is empty: nothing may change' : 'nothing is painted: paint strokes where the photo should change');

  // the feathered mask, computed inside the painted box grown by its reach (plus one pixel of zeros)
  const spec = opt.mask ?? (userMask ? { grow: 0, feather: DEFAULT_FEATHER.feather } : DEFAULT_FEATHER);
  const reach = maskReach(spec);
  const mb = growBox(painted, reach + 1, W, H);
  const local = new Uint8Array(mb.w * mb.h);
  for (let y = 0; y < mb.h; y++) local.set(bin.subarray((mb.y + y) * W + mb.x, (mb.y + y) * W + mb.x + mb.w), y * mb.w);
  const mLocal = featherMask(local, mb.w, mb.h, spec);
  const box = boundingBox(Uint8Array.from(mLocal, (v) => (v > 0 ? 1 : 0)), mb.w, mb.h)!;
  box.x += mb.x;
  box.y += mb.y;

  const region = planRegion(box, W, H, opt.context ?? DEFAULT_CONTEXT, model.stride);
  const { runW, runH } = region;
  const plane = runW * runH;
  const maxv = image.bitDepth === 16 ? 65535 : 255;
  // photo, guide (photo with strokes) and mask over the region; columns/rows past the photo's edge replicate it
  const orig = new Float32Array(3 * plane);
  const guide = new Float32Array(3 * plane);
  const mask = new Float32Array(plane);
  for (let y = 0; y < runH; y++) {
    const sy = region.y + Math.min(y, region.h - 1);
    for (let x = 0; x < runW; x++) {
      const sx = region.x + Math.min(x, region.w - 1);
      const p = sy * W + sx;
      const inside = x < region.w && y < region.h;
      const mx = sx - mb.x;
      const my = sy - mb.y;
      mask[y * runW + x] = inside && mx >= 0 && my >= 0 && mx < mb.w && my < mb.h ? mLocal[my * mb.w + mx] : 0;
      const a = strokes[4 * p + 3] / 255;
      for (let c = 0; c < 3; c++) {
        const v = image.rgb[3 * p + c] / maxv;
        const g = a > 0 ? v * (1 - a) + (strokes[4 * p + c] / 255) * a : v;
        orig[c * plane + y * runW + x] = v * 2 - 1;
        guide[c * plane + y * runW + x] = g * 2 - 1;
      }
    }
  }

  // a masked area with no paint on it starts from its surroundings, not from what is there (the blotch to remove)
  if (userMask) {
    const hole = new Uint8Array(plane);
    for (let y = 0; y < region.h; y++) {
      for (let x = 0; x < region.w; x++) {
        const p = (region.y + y) * W + region.x + x;
        if (bin[p] && strokes[4 * p + 3] === 0) hole[y * runW + x] = 1;
      }
    }
    if (opt.fillHoles) await opt.fillHoles(guide, runW, runH, hole);
    else fillHoles(guide, runW, runH, hole);
  }

  const t0 = strengthToT0(opt.strength, sched.T);
  const timesteps = ddimTimesteps(t0, opt.steps);
  const total = evaluations(timesteps.length, opt.jumps ?? 0) * opt.repeats;
  const { eps, tiles } = tiledEps(model, runW, runH, opt.tile, opt.overlap ?? 32);
  const noise = opt.noise ?? new Rng(opt.seed).noise();
  let x: Float32Array = guide;
  let done = 0;
  for (let k = 0; k < opt.repeats; k++) {
    x = await sdedit(eps, x, sched, {
      strength: opt.strength,
      steps: opt.steps,
      eta: opt.eta,
      jumps: opt.jumps ?? 0,
      noise,
      known: orig,
      mask,
      signal: opt.signal,
      onStep: () => {
        done += 1;
        opt.onStep?.(done, total);
      },
    });
  }
  throwIfAborted(opt.signal);

  // paste back: the photo's own pixels wherever the mask is 0; elsewhere the sampler's result, which in the feathered
  // edge is already the mask-weighted blend with the photo (the sampler's last step)
  const rgb = image.rgb.slice() as I['rgb'];
  for (let y = 0; y < region.h; y++) {
    for (let xx = 0; xx < region.w; xx++) {
      if (mask[y * runW + xx] === 0) continue;
      const p = (region.y + y) * W + region.x + xx;
      for (let c = 0; c < 3; c++) {
        const v = (x[c * plane + y * runW + xx] + 1) / 2;
        rgb[3 * p + c] = Math.round((v < 0 ? 0 : v > 1 ? 1 : v) * maxv);
      }
    }
  }
  return {
    image: { ...image, rgb },
    stats: { t0, timesteps, box, region, tiles, evaluations: done },
  };
}

