// DDIM sampling and SDEdit on one image tensor [3, H, W] in [-1, 1]: a line-by-line port of
// training/revive_train/diffusion.py (ddim_sample, sdedit), float32 storage, noise drawn in the same order.
import { throwIfAborted } from '../cancel';
import type { NoiseSource } from './rng';
import { ddimTimesteps, strengthToT0, type Schedule } from './schedule';

/** The noise prediction for state x [3, H, W] at timestep t (the network, tiled or not). */
export type EpsFn = (x: Float32Array, t: number) => Promise<Float32Array>;

export interface SampleOptions {
  eta: number;
  noise: NoiseSource;
  /** Masked SDEdit: where mask (per pixel, [H*W], 0..1) < 1 the state is pulled towards `known` noised to the step. */
  known?: Float32Array;
  mask?: Float32Array;
  signal?: AbortSignal;
  /** After each network evaluation: i in 1..n. */
  onStep?: (i: number, n: number, t: number) => void;
}


const f32 = Math.fround;

/** Reverse process from x_t at t0 to x_0 (diffusion.py ddim_sample). Returns a new array; x_t is left as it is. */
export async function ddimSample(
  eps: EpsFn,
  xT: Float32Array,
  t0: number,
  steps: number,
  sched: Schedule,
  opt: SampleOptions,
): Promise<Float32Array> {
  const { abar } = sched;
  const { known, mask, eta } = opt;
  if ((known === undefined) !== (mask === undefined)) throw new Error('known and mask go together');
  const plane = mask ? mask.length : 0;
  if (known && (known.length !== xT.length || xT.length % plane !== 0)) throw new Error('known/mask shape mismatch');
  const ts = ddimTimesteps(t0, steps);
  let x = Float32Array.from(xT);
  let next = new Float32Array(x.length); // the two states alternate
  const z = new Float32Array(x.length);
  for (let i = 0; i < ts.length; i++) {
    throwIfAborted(opt.signal);
    const t = ts[i];
    const tPrev = i + 1 < ts.length ? ts[i + 1] : -1;
    const aT = abar[t];
    const aPrev = tPrev >= 0 ? abar[tPrev] : 1;
    const e = await eps(x, t);
    throwIfAborted(opt.signal);
    const sqA = f32(Math.sqrt(aT));
    const sq1A = f32(Math.sqrt(f32(1 - aT)));
    const sqP = f32(Math.sqrt(aPrev));
    const sigma = f32(eta * f32(Math.sqrt(Math.max(0, f32(f32(f32(1 - aPrev) / f32(1 - aT)) * f32(1 - f32(aT / aPrev)))))));
    const dirC = f32(Math.sqrt(Math.max(0, f32(f32(1 - aPrev) - f32(sigma * sigma)))));
    for (let k = 0; k < x.length; k++) {
      const xk = x[k];
      let x0 = f32(f32(xk - f32(sq1A * e[k])) / sqA);
      x0 = x0 < -1 ? -1 : x0 > 1 ? 1 : x0;
      const ek = f32(f32(xk - f32(sqA * x0)) / sq1A);
      next[k] = f32(f32(sqP * x0) + f32(dirC * ek));
    }
    if (tPrev >= 0 && eta > 0) {
      opt.noise(z);
      for (let k = 0; k < next.length; k++) next[k] = f32(next[k] + f32(sigma * z[k]));
    }
    if (known && mask && tPrev >= 0) {
      opt.noise(z);
      const sq1P = f32(Math.sqrt(f32(1 - aPrev)));
      for (let k = 0; k < next.length; k++) {
        const m = mask[k % plane];
        if (m === 1) continue;
        const kn = f32(f32(sqP * known[k]) + f32(sq1P * z[k]));
        next[k] = f32(f32(m * next[k]) + f32(f32(1 - m) * kn));
      }
    }
    [x, next] = [next, x];
    opt.onStep?.(i + 1, ts.length, t);
  }
  if (known && mask) {
    for (let k = 0; k < x.length; k++) {
      const m = mask[k % plane];
      if (m !== 1) x[k] = f32(f32(m * x[k]) + f32(f32(1 - m) * known[k]));
    }
  }
  return x;
}

export interface SdeditOptions extends SampleOptions {
  strength: number;
  steps: number;
}

/** SDEdit: noise the guide to t0 = strength * T, then denoise (diffusion.py sdedit). The first noise draw noises it. */
export async function sdedit(eps: EpsFn, guide: Float32Array, sched: Schedule, opt: SdeditOptions): Promise<Float32Array> {
  const t0 = strengthToT0(opt.strength, sched.T);
  const n = new Float32Array(guide.length);
  opt.noise(n);
  const a = sched.abar[t0];
  const sa = f32(Math.sqrt(a));
  const s1 = f32(Math.sqrt(f32(1 - a)));
  const xT = new Float32Array(guide.length);
  for (let k = 0; k < xT.length; k++) xT[k] = f32(f32(sa * guide[k]) + f32(s1 * n[k]));
  return ddimSample(eps, xT, t0, opt.steps, sched, opt);
}
