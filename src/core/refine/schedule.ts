// The diffusion schedule as the manifest gives it, and the DDIM timesteps, exactly as training/revive_train/diffusion.py.
import type { DiffusionSchedule } from '../../shared/types';

export interface Schedule {
  T: number;
  /** alphas_cumprod[t] for t in [0, T), as float32 (what the PyTorch sampler computes with). */
  abar: Float32Array;
}

/** Checks the manifest's schedule and turns it into the sampler's form. Throws on anything it cannot run. */
export function scheduleFromManifest(s: DiffusionSchedule): Schedule {
  if (!s || s.type !== 'ddpm-linear') throw new Error(`unsupported diffusion schedule type ${JSON.stringify(s?.type)}`);
  if (s.prediction !== 'epsilon') throw new Error(`unsupported diffusion prediction ${JSON.stringify(s.prediction)}`);
  const vr = s.value_range;
  if (!Array.isArray(vr) || vr[0] !== -1 || vr[1] !== 1) throw new Error('diffusion value_range must be [-1, 1]');
  const T = s.T;
  const a = s.alphas_cumprod;
  if (!Number.isInteger(T) || T < 2 || !Array.isArray(a) || a.length !== T) {
    throw new Error(`diffusion schedule needs T alphas_cumprod values (T=${T}, got ${a?.length})`);
  }
  const abar = new Float32Array(T);
  for (let i = 0; i < T; i++) {
    const v = a[i];
    if (!(v > 0 && v < 1) || (i > 0 && !(v < a[i - 1]))) {
      throw new Error(`diffusion alphas_cumprod must decrease strictly inside (0, 1); index ${i} is ${v}`);
    }
    abar[i] = v;
  }
  return { T, abar };
}

/** t0 = strength * T rounded half up, at most T - 1 (diffusion.py sdedit). */
export function strengthToT0(strength: number, T: number): number {
  return Math.min(T - 1, Math.floor(strength * T + 0.5));
}

/**
 * The timesteps the model is evaluated at, descending: round(t0 * i / n) for i = n..1 with n = min(steps, t0),
 * rounding half up. Its length is the number of network evaluations (diffusion.py ddim_timesteps).
 */
export function ddimTimesteps(t0: number, steps: number): number[] {
  const n = Math.max(1, Math.min(steps, t0));
  const ts: number[] = [];
  for (let i = n; i >= 1; i--) ts.push(Math.floor((t0 * i) / n + 0.5));
  return ts;
}
