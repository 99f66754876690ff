// The TypeScript sampler against the PyTorch reference (training/revive_train/diffusion.py sdedit) on the fixture
// UNet, with the same noise fed to both. The network is the same function in both (the ONNX export's own parity is
// < 1e-5 per call); what is compared is the schedule, the timesteps, the DDIM update, eta's noise and the masked
// replacement. Tolerance: max abs difference 1e-4 in [-1, 1] units (1/80 of one 8-bit level); measured <= 3.2e-6
// (float32 rounding: the network, and the order of float32 operations).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/refine/rng';
import { sdedit } from '../../src/core/refine/sampler';
import { ddimTimesteps } from '../../src/core/refine/schedule';
import { fixtureModel } from '../unit/refine-helpers';

const PY = process.env.REVIVE_PYTHON ?? '/usr/bin/python3';
const H = 32;
const W = 40;
const N = 3 * H * W;

interface Case {
  name: string;
  strength: number;
  steps: number;
  eta: number;
  masked: boolean;
  jumps?: number;
}
const CASES: Case[] = [
  { name: 'plain DDIM', strength: 0.5, steps: 6, eta: 0, masked: false },
  { name: 'eta 1', strength: 0.3, steps: 5, eta: 1, masked: false },
  { name: 'masked, eta 0.5', strength: 0.7, steps: 7, eta: 0.5, masked: true },
  { name: 'masked, more steps than t0 allows', strength: 0.2, steps: 250, eta: 0, masked: true },
  { name: 'masked, eta 1, 2 RePaint jumps', strength: 0.4, steps: 5, eta: 1, masked: true, jumps: 2 },
];

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'revive-parity-'));
const results = new Map<string, { ts: Float32Array; py: Float32Array; tsDraws: number; pyDraws: number }>();
let pyTimesteps: Record<string, number[]> = {};

beforeAll(async () => {
  const { model, sched } = await fixtureModel();
  const rng = new Rng(99);
  const guide = new Float32Array(N);
  for (let c = 0; c < 3; c++) for (let i = 0; i < H * W; i++) guide[c * H * W + i] = Math.sin(i / 37 + c) * 0.8;
  const mask = new Float32Array(H * W);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) mask[y * W + x] = Math.min(1, Math.max(0, (x - 10) / 8));
  fs.writeFileSync(path.join(dir, 'guide.bin'), Buffer.from(guide.buffer));
  fs.writeFileSync(path.join(dir, 'mask.bin'), Buffer.from(mask.buffer));
  const spec = { cases: [] as object[], timesteps_out: path.join(dir, 'timesteps.json') };
  const tsRuns: Promise<void>[] = [];
  for (const c of CASES) {
    const noise = new Float32Array(N * (2 + 4 * c.steps * (1 + (c.jumps ?? 0))));
    rng.noise()(noise);
    const nf = path.join(dir, `${c.name}.noise.bin`);
    fs.writeFileSync(nf, Buffer.from(noise.buffer));
    spec.cases.push({
      guide: path.join(dir, 'guide.bin'),
      mask: c.masked ? path.join(dir, 'mask.bin') : null,
      noise: nf,
      shape: [1, 3, H, W],
      strength: c.strength,
      steps: c.steps,
      eta: c.eta,
      jumps: c.jumps ?? 0,
      out: path.join(dir, `${c.name}.out.bin`),
    });
    let pos = 0;
    const fed = (out: Float32Array) => {
      out.set(noise.subarray(pos, pos + out.length));
      pos += out.length;
    };
    tsRuns.push(
      sdedit((x, t) => model.run(x, H, W, t), guide, sched, {
        strength: c.strength,
        steps: c.steps,
        eta: c.eta,
        jumps: c.jumps ?? 0,
        noise: fed,
        ...(c.masked ? { known: guide, mask } : {}),
      }).then((out) => {
        results.set(c.name, { ts: out, py: new Float32Array(0), tsDraws: pos / N, pyDraws: -1 });
      }),
    );
  }
  fs.writeFileSync(path.join(dir, 'spec.json'), JSON.stringify(spec));
  for (const r of tsRuns) await r;
  execFileSync(PY, [path.resolve(__dirname, 'refine_parity_ref.py'), path.join(dir, 'spec.json')], { stdio: 'pipe' });
  for (const c of CASES) {
    const r = results.get(c.name)!;
    const buf = fs.readFileSync(path.join(dir, `${c.name}.out.bin`));
    r.py = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
    r.pyDraws = JSON.parse(fs.readFileSync(path.join(dir, `${c.name}.out.bin.json`), 'utf8')).draws;
  }
  pyTimesteps = JSON.parse(fs.readFileSync(spec.timesteps_out, 'utf8'));
}, 300_000);

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('SDEdit parity with the PyTorch reference', () => {
  for (const c of CASES) {
    it(`${c.name}: same noise draws, same result within 1e-4`, () => {
      const r = results.get(c.name)!;
      expect(r.tsDraws).toBe(r.pyDraws);
      expect(r.py.length).toBe(N);
      let max = 0;
      let moved = 0;
      for (let i = 0; i < N; i++) {
        max = Math.max(max, Math.abs(r.ts[i] - r.py[i]));
        moved = Math.max(moved, Math.abs(r.py[i]));
      }
      expect(max).toBeLessThan(1e-4);
      expect(moved).toBeGreaterThan(0.1); // the reference produced a real image, not zeros
    });
  }

  it('evaluates the same timesteps as ddim_timesteps', () => {
    const keys = Object.keys(pyTimesteps);
    expect(keys.length).toBeGreaterThan(900);
    for (const k of keys) {
      const [t0, s] = k.split(',').map(Number);
      expect(ddimTimesteps(t0, s), k).toEqual(pyTimesteps[k]);
    }
  });
});
