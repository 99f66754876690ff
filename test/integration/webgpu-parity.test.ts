// Every model in models/manifest.json gives the same numbers on WebGPU as on the CPU (within 1e-4), whatever its
// kind: inputs are made from the session's own input metadata, so models added to the manifest are covered without
// touching this test. Here WebGPU runs on lavapipe (Mesa's software Vulkan, installed by scripts/setup-system.sh),
// about 30x slower than the CPU provider, so the inputs are small. Also: `revive restore --device webgpu` gives the
// CPU's float32 result within one level, through the built CLI. (The CPU's int8 copies, manifest cpu_int8, are a CPU
// speed-up that GPUs never run; they are measured against float32 in restore-shipped.test.ts.)
import fs from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SessionCache } from '../../src/core/inference/session';
import type { ManifestModel } from '../../src/shared/types';
import { crops, rmrf, ROOT, tmpDir } from '../unit/restore-helpers';
import { buildCli, runNode } from './cli-helpers';

const MODELS = path.join(ROOT, 'models');
const manifest = JSON.parse(fs.readFileSync(path.join(MODELS, 'manifest.json'), 'utf8')) as { models: ManifestModel[] };
const sessions = new SessionCache({ precision: 'exact' });
afterAll(() => sessions.dispose());

/** Deterministic values in [lo, hi] (a smooth pattern plus hash noise: like a photo, not a constant). */
function pattern(n: number, lo: number, hi: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let h = seed >>> 0;
  for (let i = 0; i < n; i++) {
    h = (Math.imul(h ^ (h >>> 15), 2246822507) + i) >>> 0;
    const smooth = 0.5 + 0.35 * Math.sin(i * 0.07 + seed);
    out[i] = lo + (hi - lo) * Math.min(1, Math.max(0, smooth + ((h % 1000) / 1000 - 0.5) * 0.3));
  }
  return out;
}

/**
 * Feeds for a model from its inputs' metadata: image-like inputs (rank 4) get a small picture of size_multiple * 2
 * (at least 16) pixels per side in the model's value range; other inputs (a diffusion timestep, a strength) get a
 * mid value: half the schedule's T for a diffusion model, 0.5 otherwise.
 */
function feedsFor(entry: ManifestModel, session: ort.InferenceSession): Record<string, ort.Tensor> {
  const side = Math.max(16, 2 * (entry.size_multiple ?? 8));
  const [lo, hi] = entry.value_range ?? [0, 1];
  const schedule = (entry as { schedule?: { T?: number } }).schedule;
  const feeds: Record<string, ort.Tensor> = {};
  session.inputMetadata.forEach((m, k) => {
    if (!m.isTensor) throw new Error(`${entry.id}: input ${m.name} is not a tensor`);
    const rank = m.shape.length;
    const dims = m.shape.map((d, i) => (typeof d === 'number' && d > 0 ? d : rank === 4 && i >= 2 ? side : 1));
    const n = dims.reduce((a, b) => a * b, 1);
    const data = rank === 4 ? pattern(n, lo, hi, 17 + k) : new Float32Array(n).fill(schedule?.T ? Math.floor(schedule.T / 2) : 0.5);
    if (m.type !== 'float32') throw new Error(`${entry.id}: input ${m.name} is ${m.type}; this test feeds float32 only`);
    feeds[m.name] = new ort.Tensor('float32', data, dims);
  });
  return feeds;
}

describe('WebGPU gives the CPU result for every shipped model', () => {
  it('the manifest lists models', () => expect(manifest.models.length).toBeGreaterThan(0));

  it.each(manifest.models.map((m) => [m.id, m] as const))('%s', async (_id, entry) => {
    const cpu = await sessions.get(MODELS, entry, 'cpu');
    const gpu = await sessions.get(MODELS, entry, 'webgpu');
    expect(gpu.report.used).toBe('webgpu'); // named: used even on a software adapter
    const feeds = feedsFor(entry, cpu.session);
    const a = await cpu.session.run(feeds);
    const b = await gpu.session.run(feeds);
    let widest = 0; // a real output, not constants both sides agree on: some output varies across its values
    for (const name of cpu.session.outputNames) {
      const x = a[name].data as Float32Array;
      const y = b[name].data as Float32Array;
      expect(b[name].dims).toEqual(a[name].dims);
      let max = 0;
      let spread = 0;
      for (let i = 0; i < x.length; i++) {
        max = Math.max(max, Math.abs(x[i] - y[i]));
        spread = Math.max(spread, Math.abs(x[i] - x[0]));
      }
      widest = Math.max(widest, spread);
      expect(x.every(Number.isFinite)).toBe(true);
      expect(max).toBeLessThanOrEqual(1e-4);
    }
    expect(widest).toBeGreaterThan(1e-3);
  }, 300_000);
});

describe('revive restore --device webgpu', () => {
  const tmp = tmpDir('webgpu-cli');
  let cli: string;
  beforeAll(async () => {
    cli = await buildCli(path.join(tmp, 'out'));
    await sharp(crops(1)[0]).extract({ left: 100, top: 60, width: 72, height: 56 }).png().toFile(path.join(tmp, 'photo.png'));
  }, 120_000);
  afterAll(() => rmrf(tmp));

  it('gives the CPU result within one level and says it ran on WebGPU', async () => {
    const photo = path.join(tmp, 'photo.png');
    const run = (device: string) =>
      // the network at full strength (--noise-fixed): adapting may judge this small crop to need little of it
      runNode([cli, 'restore', photo, '--out', path.join(tmp, device), '--device', device, '--precision', 'exact', '--noise-fixed'], {
        timeoutMs: 240_000,
      });
    const cpu = await run('cpu');
    const gpu = await run('webgpu');
    expect(cpu.code, cpu.stderr).toBe(0);
    expect(gpu.code, gpu.stderr).toBe(0);
    expect(gpu.stderr).toMatch(/using WEBGPU on .* \(requested: webgpu\)/);
    const a = await sharp(path.join(tmp, 'cpu', 'photo.png')).raw().toBuffer();
    const b = await sharp(path.join(tmp, 'webgpu', 'photo.png')).raw().toBuffer();
    const src = await sharp(photo).raw().toBuffer();
    expect(b.length).toBe(a.length);
    let max = 0;
    let changed = 0;
    for (let i = 0; i < a.length; i++) {
      max = Math.max(max, Math.abs(a[i] - b[i]));
      if (a[i] !== src[i]) changed++;
    }
    expect(changed).toBeGreaterThan(a.length / 4); // the model did restore something
    expect(max).toBeLessThanOrEqual(1);
  }, 300_000);
});
