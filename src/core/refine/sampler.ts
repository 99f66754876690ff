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
  /** RePaint-style resamplings of each step but the last (default 0). */
  jumps?: number;
  signal?: AbortSignal;
  /** After each network evaluation: i in 1..n. */
  onStep?: (i: number, n: number, t: number) => void;
}


const f32 = Math.fround;

/**
 * Reverse process from x_t at t0 to x_0 (diffusion.py ddim_sample). Returns a new array; x_t is left as it is.
 * Masked: where the mask is fractional the blend of the two independently noised states is topped up with noise to
 * the schedule's level; `jumps` re-takes each step but the last that many times, noised back from t_prev to t in
 * between (RePaint), so the changed area harmonises with what surrounds it.
 */
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
  const jumps = opt.jumps ?? 0;
  if ((known === undefined) !== (mask === undefined)) throw new Error('known and mask go together');
  const plane = mask ? mask.length : 0;
  if (known && (known.length !== xT.length || xT.length % plane !== 0)) throw new Error('known/mask shape mismatch');
  const ramp = mask !== undefined && mask.some((m) => m > 0 && m < 1);
  const ts = ddimTimesteps(t0, steps);
  const evals = evaluations(ts.length, jumps);
  let x = Float32Array.from(xT);
  let next = new Float32Array(x.length); // the two states alternate
  const z = new Float32Array(x.length);
  let done = 0;
  for (let i = 0; i < ts.length; i++) {
    const t = ts[i];
    const tPrev = i + 1 < ts.length ? ts[i + 1] : -1;
    const aT = abar[t];
    const aPrev = tPrev >= 0 ? abar[tPrev] : 1;
    const sqA = f32(Math.sqrt(aT));
    const sq1A = f32(Math.sqrt(f32(1 - aT)));
    const sqP = f32(Math.sqrt(aPrev));
    const sq1P = f32(Math.sqrt(f32(1 - aPrev)));
    const sigma = f32(eta * f32(Math.sqrt(Math.max(0, f32(f32(f32(1 - aPrev) / f32(1 - aT)) * f32(1 - f32(aT / aPrev)))))));
    const dirC = f32(Math.sqrt(Math.max(0, f32(f32(1 - aPrev) - f32(sigma * sigma)))));
    const takes = tPrev >= 0 ? jumps + 1 : 1;
    for (let j = 0; j < takes; j++) {
      throwIfAborted(opt.signal);
      if (j > 0) {
        // back from t_prev to t: q(x_t | x_t_prev)
        const r = f32(aT / aPrev);
        const sr = f32(Math.sqrt(r));
        const s1r = f32(Math.sqrt(f32(1 - r)));
        opt.noise(z);
        for (let k = 0; k < x.length; k++) x[k] = f32(f32(sr * x[k]) + f32(s1r * z[k]));
      }
      const e = await eps(x, t);
      throwIfAborted(opt.signal);
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
        for (let k = 0; k < next.length; k++) {
          const m = mask[k % plane];
          if (m === 1) continue;
          const kn = f32(f32(sqP * known[k]) + f32(sq1P * z[k]));
          next[k] = f32(f32(m * next[k]) + f32(f32(1 - m) * kn));
        }
        if (ramp) {
          opt.noise(z);
          for (let k = 0; k < next.length; k++) {
            const m = mask[k % plane];
            const top = f32(f32(Math.sqrt(Math.max(0, f32(f32(2 * m) * f32(1 - m))))) * sq1P);
            next[k] = f32(next[k] + f32(top * z[k]));
          }
        }
      }
      [x, next] = [next, x];
      done += 1;
      opt.onStep?.(done, evals, t);
    }
  }
  if (known && mask) {
    for (let k = 0; k < x.length; k++) {
      const m = mask[k % plane];
      if (m !== 1) x[k] = f32(f32(m * x[k]) + f32(f32(1 - m) * known[k]));
    }
  }
  return x;
}

/** Network evaluations of a DDIM run over `n` timesteps with `jumps` resamplings of every step but the last. */
export function evaluations(n: number, jumps: number): number {
  return n + Math.max(0, n - 1) * jumps;
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
