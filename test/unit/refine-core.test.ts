// The refine engine's pure parts: seeded noise, schedule and timesteps, the DDIM/SDEdit update (against an oracle
// network), the feathered mask and the tile plan.
import { describe, expect, it } from 'vitest';
import { boundingBox, featherMask, growBox, maskReach } from '../../src/core/refine/mask';
import { Rng } from '../../src/core/refine/rng';
import { ddimSample, sdedit } from '../../src/core/refine/sampler';
import { ddimTimesteps, scheduleFromManifest, strengthToT0 } from '../../src/core/refine/schedule';
import { planRegion, planTiles, tiledEps, type EpsModel } from '../../src/core/refine/tiles';
import { pickDiffusion } from '../../src/core/refine/load';
import { fixtureEntry } from './refine-helpers';

const sched = scheduleFromManifest(fixtureEntry().schedule);

describe('Rng', () => {
  it('same seed, same sequence; another seed, another sequence', () => {
    const draw = (seed: number) => {
      const a = new Float32Array(1001);
      new Rng(seed).noise()(a);
      return a;
    };
    expect(draw(7)).toEqual(draw(7));
    expect(draw(7)).not.toEqual(draw(8));
    expect(draw(2 ** 40 + 7)).not.toEqual(draw(7)); // the high bits of the seed count
  });

  it('gives standard normal deviates', () => {
    const a = new Float32Array(1_000_000);
    new Rng(1).noise()(a);
    let m = 0;
    let v = 0;
    let k = 0;
    let tail = 0;
    let far = 0;
    let farther = 0;
    for (const x of a) m += x;
    m /= a.length;
    for (const x of a) {
      v += (x - m) ** 2;
      k += (x - m) ** 4;
      if (Math.abs(x) > 1.96) tail++;
      if (Math.abs(x) > 3) far++;
      if (Math.abs(x) > 3.6) farther++; // beyond the Ziggurat's base layer (3.44): its tail algorithm
    }
    v /= a.length;
    expect(Math.abs(m)).toBeLessThan(0.01);
    expect(Math.abs(v - 1)).toBeLessThan(0.015);
    expect(Math.abs(k / a.length / (v * v) - 3)).toBeLessThan(0.06); // kurtosis of a Gaussian
    expect(Math.abs(tail / a.length - 0.05)).toBeLessThan(0.0015);
    expect(Math.abs(far / 2700 - 1)).toBeLessThan(0.12); // P(|x| > 3) = 0.0027
    expect(Math.abs(farther / 318 - 1)).toBeLessThan(0.25); // P(|x| > 3.6) = 3.18e-4
    expect(a.reduce((mx, x) => Math.max(mx, Math.abs(x)), 0)).toBeGreaterThan(4); // the tail is reached
  });

  it('matches the normal distribution function (Kolmogorov-Smirnov distance < 0.003)', () => {
    const a = new Float32Array(200_000);
    new Rng(9).noise()(a);
    a.sort();
    // Phi through erf (Abramowitz & Stegun 7.1.26, error < 1.5e-7)
    const phi = (x: number) => {
      const z = Math.abs(x) / Math.SQRT2;
      const t = 1 / (1 + 0.3275911 * z);
      const erf = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-z * z);
      return x >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
    };
    let ks = 0;
    for (let i = 0; i < a.length; i += 97) ks = Math.max(ks, Math.abs(phi(a[i]) - (i + 0.5) / a.length));
    expect(ks).toBeLessThan(0.003);
  });

  it('uniforms fill [0, 1)', () => {
    const r = new Rng(3);
    const bins = new Array(10).fill(0);
    for (let i = 0; i < 100_000; i++) bins[Math.floor(r.nextFloat() * 10)]++;
    for (const b of bins) expect(Math.abs(b - 10_000)).toBeLessThan(400);
  });
});

describe('schedule', () => {
  it('reads the manifest schedule and refuses broken ones', () => {
    expect(sched.T).toBe(1000);
    expect(sched.abar[0]).toBeCloseTo(1 - 1e-4, 7);
    const s = fixtureEntry().schedule;
    expect(() => scheduleFromManifest({ ...s, alphas_cumprod: s.alphas_cumprod.slice(1) })).toThrow(/T alphas_cumprod/);
    expect(() => scheduleFromManifest({ ...s, alphas_cumprod: [...s.alphas_cumprod].reverse() })).toThrow(/decrease/);
    expect(() => scheduleFromManifest({ ...s, prediction: 'v' as 'epsilon' })).toThrow(/prediction/);
  });

  it('t0 and the evaluated timesteps', () => {
    expect(strengthToT0(0.5, 1000)).toBe(500);
    expect(strengthToT0(0.2345, 1000)).toBe(235); // half up
    expect(ddimTimesteps(500, 20)).toEqual(Array.from({ length: 20 }, (_, i) => 500 - 25 * i));
    const ts = ddimTimesteps(333, 20);
    expect(ts.length).toBe(20);
    expect(ts[0]).toBe(333);
    for (let i = 1; i < ts.length; i++) expect(ts[i]).toBeLessThan(ts[i - 1]);
    expect(ddimTimesteps(5, 20)).toEqual([5, 4, 3, 2, 1]);
  });
});

/** A network that knows the clean image: DDIM must give it back exactly, whatever the noise. */
function oracle(x0: Float32Array) {
  return async (x: Float32Array, t: number) => {
    const a = sched.abar[t];
    return x.map((v, i) => (v - Math.sqrt(a) * x0[i]) / Math.sqrt(1 - a));
  };
}

describe('DDIM / SDEdit', () => {
  const P = 12 * 10;
  const r = new Rng(5);
  const x0 = Float32Array.from({ length: 3 * P }, () => r.nextFloat() * 2 - 1);

  for (const eta of [0, 1]) {
    it(`an oracle network recovers the image (eta ${eta})`, async () => {
      const out = await sdedit(oracle(x0), new Float32Array(3 * P), sched, { strength: 0.6, steps: 10, eta, noise: new Rng(1).noise() });
      let max = 0;
      out.forEach((v, i) => (max = Math.max(max, Math.abs(v - x0[i]))));
      expect(max).toBeLessThan(1e-4);
    });
  }

  it('masked: where the mask is 0 the known image comes back exactly, where 1 the network decides', async () => {
    const known = Float32Array.from({ length: 3 * P }, (_, i) => Math.sin(i));
    const mask = Float32Array.from({ length: P }, (_, i) => (i % 3 === 0 ? 1 : i % 3 === 1 ? 0 : 0.5));
    const out = await sdedit(oracle(x0), known, sched, { strength: 0.5, steps: 6, eta: 0, noise: new Rng(2).noise(), known, mask });
    for (let i = 0; i < out.length; i++) {
      const m = mask[i % P];
      if (m === 0) expect(out[i]).toBe(known[i]);
      if (m === 1) expect(Math.abs(out[i] - x0[i])).toBeLessThan(1e-4);
    }
  });

  it('calls the network once per timestep, reports each step and stops when aborted', async () => {
    let calls = 0;
    const steps: number[] = [];
    const ac = new AbortController();
    const eps = async (x: Float32Array) => {
      calls++;
      return new Float32Array(x.length);
    };
    await ddimSample(eps, new Float32Array(3 * P), 400, 8, sched, { eta: 0, noise: new Rng(1).noise(), onStep: (i) => steps.push(i) });
    expect(calls).toBe(8);
    expect(steps).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    calls = 0;
    const run = ddimSample(eps, new Float32Array(3 * P), 400, 8, sched, {
      eta: 0,
      noise: new Rng(1).noise(),
      signal: ac.signal,
      onStep: (i) => i === 3 && ac.abort(),
    });
    await expect(run).rejects.toThrow(/cancelled/);
    expect(calls).toBe(3);
  });
});

describe('mask', () => {
  const W = 60;
  const H = 40;
  const bin = new Uint8Array(W * H);
  for (let y = 15; y < 20; y++) for (let x = 25; x < 33; x++) bin[y * W + x] = 1;

  it('is 1 on and near the paint, 0 exactly beyond its reach, a monotone ramp between', () => {
    const spec = { grow: 3, feather: 8 };
    const m = featherMask(bin, W, H, spec);
    const reach = maskReach(spec);
    expect(reach).toBe(3 + 8);
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const dx = Math.max(25 - x, x - 32, 0);
        const dy = Math.max(15 - y, y - 19, 0);
        const d = Math.max(dx, dy);
        const v = m[y * W + x];
        if (d <= 3) expect(v).toBe(1);
        else if (d > reach) expect(v).toBe(0);
        else expect(v).toBeGreaterThan(0);
      }
    }
    for (let x = 33; x < W - 1; x++) expect(m[17 * W + x + 1]).toBeLessThanOrEqual(m[17 * W + x]);
    expect(boundingBox(Uint8Array.from(m, (v) => (v > 0 ? 1 : 0)), W, H)).toEqual({ x: 25 - reach, y: 15 - reach, w: 8 + 2 * reach, h: 5 + 2 * reach });
  });

  it('paint at the photo edge stays fully masked up to the edge', () => {
    const b = new Uint8Array(W * H);
    for (let y = 0; y < 5; y++) for (let x = 0; x < 5; x++) b[y * W + x] = 1;
    const m = featherMask(b, W, H, { grow: 0, feather: 8 });
    expect(m[0]).toBe(1);
    expect(m[4 * W + 4]).toBe(1);
  });

  it('boxes', () => {
    expect(boundingBox(new Uint8Array(W * H), W, H)).toBeNull();
    expect(boundingBox(bin, W, H)).toEqual({ x: 25, y: 15, w: 8, h: 5 });
    expect(growBox({ x: 2, y: 30, w: 8, h: 5 }, 6, W, H)).toEqual({ x: 0, y: 24, w: 16, h: 16 });
  });
});

describe('region and tiles', () => {
  it('the region is the box plus context, a multiple of the stride, inside the photo when it fits', () => {
    const r = planRegion({ x: 100, y: 50, w: 30, h: 21 }, 400, 300, 16, 8);
    expect(r.runW % 8).toBe(0);
    expect(r.runH % 8).toBe(0);
    expect(r.runW).toBe(64);
    expect(r.runH).toBe(56);
    expect(r.x).toBeLessThanOrEqual(100 - 16);
    expect(r.x + r.w).toBeGreaterThanOrEqual(130 + 16);
    const edge = planRegion({ x: 0, y: 0, w: 30, h: 21 }, 36, 300, 16, 8);
    expect(edge).toMatchObject({ x: 0, w: 36, runW: 40 }); // the photo is narrower than needed: padded
  });

  it('tiles cover the region with overlap; blended estimates sum with weight one', async () => {
    const plan = planTiles(200, 92, 64, 16, 4);
    expect(plan.count).toBe(4 * 2);
    for (const ax of [plan.cols, plan.rows]) {
      for (const [i, s] of ax.spans.entries()) {
        expect(s.end - s.start).toBe(64); // all tiles the same size
        expect(s.end).toBeLessThanOrEqual(ax.length);
        if (i > 0) expect(ax.spans[i - 1].end - s.start).toBeGreaterThanOrEqual(16);
      }
      expect(ax.spans[ax.spans.length - 1].end).toBe(ax.length);
    }
    const calls: [number, number][] = [];
    const identity: EpsModel = {
      stride: 4,
      run: async (x, h, w) => {
        calls.push([h, w]);
        return x.slice();
      },
    };
    const { eps } = tiledEps(identity, 200, 92, 64, 16);
    const x = Float32Array.from({ length: 3 * 200 * 92 }, (_, i) => Math.cos(i * 0.37));
    const out = await eps(x, 10);
    expect(calls.length).toBe(plan.count);
    expect(calls.every(([h, w]) => h === 64 && w === 64)).toBe(true);
    let max = 0;
    out.forEach((v, i) => (max = Math.max(max, Math.abs(v - x[i]))));
    expect(max).toBeLessThan(1e-6);
  });
});

describe('which diffusion model', () => {
  it('the id asked for; else the default if meant for the device; else the first one that is', () => {
    const e = fixtureEntry();
    const gpu = { ...e, id: 'd-gpu', devices: ['cuda' as const, 'dml' as const] };
    const cpu = { ...e, id: 'd-cpu', devices: ['cpu' as const, 'auto' as const] };
    const manifest = { version: 1 as const, default_restore: '', default_diffusion: 'd-gpu', models: [gpu, cpu] };
    expect(pickDiffusion(manifest, undefined, 'cuda').id).toBe('d-gpu');
    expect(pickDiffusion(manifest, undefined, 'cpu').id).toBe('d-cpu');
    expect(pickDiffusion(manifest, 'd-gpu', 'cpu').id).toBe('d-gpu');
    expect(() => pickDiffusion(manifest, 'nope', 'cpu')).toThrow(/no model "nope"/);
    expect(pickDiffusion({ ...manifest, models: [gpu] }, undefined, 'cpu').id).toBe('d-gpu'); // nothing fits: the default
  });
});
