// One inference at a time: the InferenceGate (first come, first served, cancel while waiting), RefineRunner jobs
// queued behind each other (counted with a fake model that records how many runs overlap), and EngineService's
// gate shared by restore files and refine jobs.
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InferenceGate, type GateWait } from '../../src/core/inference/gate';
import { RefineRunner, type RefineBackend, type RefinePhoto } from '../../src/core/refine/runner';
import { scheduleFromManifest } from '../../src/core/refine/schedule';
import type { EpsModel } from '../../src/core/refine/tiles';
import { EngineService } from '../../src/core/service';
import type { JobEvent, RefineEvent, RefineSettings } from '../../src/shared/types';
import { discStrokes, fixtureEntry } from './refine-helpers';
import { crops, FIXTURES, rmrf, tmpDir } from './restore-helpers';

const tick = () => new Promise((r) => setTimeout(r, 0));
const settings: RefineSettings = { strength: 0.5, steps: 3, repeats: 1, seed: 1, eta: 0, device: 'cpu' };
const W = 32;
const H = 24;
let strokes: Uint8Array;

beforeAll(async () => {
  strokes = await sharp(Buffer.from(discStrokes(W, H, 16, 12, 5)), { raw: { width: W, height: H, channels: 4 } })
    .png()
    .toBuffer();
});

describe('InferenceGate', () => {
  it('lets one in at a time, first come first served, and tells waiters where they stand', async () => {
    const gate = new InferenceGate();
    const order: string[] = [];
    const waits: Record<string, GateWait[]> = { b: [], c: [] };
    const relA = await gate.acquire('restore');
    expect(gate.heldBy).toBe('restore');
    const pb = gate.acquire('refine', { onWait: (w) => waits.b.push(w) }).then((r) => (order.push('b'), r));
    const pc = gate.acquire('refine', { onWait: (w) => waits.c.push(w) }).then((r) => (order.push('c'), r));
    await tick();
    expect(order).toEqual([]);
    expect(gate.waiting).toBe(2);
    relA();
    relA(); // a second release is ignored
    const relB = await pb;
    expect(order).toEqual(['b']);
    expect(gate.heldBy).toBe('refine');
    relB();
    (await pc)();
    expect(order).toEqual(['b', 'c']);
    expect(gate.heldBy).toBeNull();
    expect(waits.b).toEqual([{ holder: 'restore', ahead: 0 }]);
    expect(waits.c).toEqual([
      { holder: 'restore', ahead: 1 },
      { holder: 'refine', ahead: 0 },
    ]);
  });

  it('a waiter that is aborted leaves the line at once; the ones behind move up', async () => {
    const gate = new InferenceGate();
    const rel = await gate.acquire('refine');
    const ac = new AbortController();
    const waitsC: GateWait[] = [];
    const pb = gate.acquire('refine', { signal: ac.signal });
    const pc = gate.acquire('refine', { onWait: (w) => waitsC.push(w) });
    ac.abort();
    await expect(pb).rejects.toMatchObject({ name: 'AbortError' });
    expect(gate.waiting).toBe(1);
    expect(waitsC).toEqual([
      { holder: 'refine', ahead: 1 },
      { holder: 'refine', ahead: 0 },
    ]);
    rel();
    (await pc)();
    expect(gate.heldBy).toBeNull();
    await expect(gate.acquire('refine', { signal: ac.signal })).rejects.toMatchObject({ name: 'AbortError' });
  });
});

/** A fake backend: flat photos, a model that sleeps a little per evaluation and counts overlapping runs. */
function fakeBackend() {
  const stats = { active: 0, most: 0, calls: 0 };
  const model: EpsModel = {
    stride: 4,
    async run(x) {
      stats.active++;
      stats.calls++;
      stats.most = Math.max(stats.most, stats.active);
      await new Promise((r) => setTimeout(r, 5));
      stats.active--;
      return new Float32Array(x.length);
    },
  };
  const sched = scheduleFromManifest(fixtureEntry().schedule);
  const backend: RefineBackend<RefinePhoto> = {
    decode: async () => ({ width: W, height: H, bitDepth: 8, rgb: new Uint8Array(W * H * 3).fill(120) }),
    encode: async () => undefined,
    preview: async (img) => ({ bytes: new Uint8Array(0), mime: 'image/png', width: img.width, height: img.height, fullWidth: img.width, fullHeight: img.height }),
    diffusion: async () => ({ model, sched, tile: 64, report: { requested: 'cpu', used: 'cpu', fallbacks: [] } }),
  };
  return { backend, stats };
}

describe('RefineRunner queue', () => {
  it('runs one job at a time; the others wait, say so, and start in order', async () => {
    const { backend, stats } = fakeBackend();
    const runner = new RefineRunner(backend, { tmpRoot: tmpDir('refine-queue') });
    const events: RefineEvent[] = [];
    runner.onEvent((e) => events.push(e));
    const ids = [0, 1, 2].map((seed) => runner.start({ source: { path: 'p.png' }, strokes, settings: { ...settings, seed } }));
    const rounds = await Promise.all(ids.map((id) => runner.wait(id)));
    expect(rounds.every((r) => typeof r === 'string' && r.length > 0)).toBe(true);
    expect(stats.calls).toBe(9);
    expect(stats.most).toBe(1);
    const of = (id: string) => events.filter((e) => e.jobId === id).map((e) => (e.type === 'queued' ? `queued ${e.behind} ${e.ahead}` : e.type));
    expect(of(ids[0])).toEqual(['provider', 'step', 'step', 'step', 'done']);
    expect(of(ids[1])).toEqual(['queued refine 0', 'start', 'provider', 'step', 'step', 'step', 'done']);
    expect(of(ids[2])).toEqual(['queued refine 1', 'queued refine 0', 'start', 'provider', 'step', 'step', 'step', 'done']);
    // job 1 only started after job 0 was done, job 2 after job 1
    const at = (id: string, type: string) => events.findIndex((e) => e.jobId === id && e.type === type);
    expect(at(ids[1], 'start')).toBeGreaterThan(at(ids[0], 'done'));
    expect(at(ids[2], 'start')).toBeGreaterThan(at(ids[1], 'done'));
    runner.dispose();
  });

  it('cancelling a queued job removes it: done with cancelled, no step run, the rest go on', async () => {
    const { backend, stats } = fakeBackend();
    const runner = new RefineRunner(backend, { tmpRoot: tmpDir('refine-queue') });
    const events: RefineEvent[] = [];
    runner.onEvent((e) => events.push(e));
    const a = runner.start({ source: { path: 'p.png' }, strokes, settings });
    const b = runner.start({ source: { path: 'p.png' }, strokes, settings });
    const c = runner.start({ source: { path: 'p.png' }, strokes, settings });
    runner.cancel(b);
    await expect(runner.wait(b)).rejects.toThrow(/cancelled/);
    expect(events.filter((e) => e.jobId === b).map((e) => e.type)).toEqual(['queued', 'done']);
    expect(events.find((e) => e.jobId === b && e.type === 'done')).toEqual({ type: 'done', jobId: b, ok: false, cancelled: true });
    // c moved up to the front of the line
    expect(events.filter((e) => e.jobId === c && e.type === 'queued').map((e) => (e.type === 'queued' ? e.ahead : -1))).toEqual([1, 0]);
    await runner.wait(a);
    await runner.wait(c);
    expect(stats.calls).toBe(6);
    expect(stats.most).toBe(1);
    runner.dispose();
  });

  it('tells which rounds were pushed out by the bound on rounds kept', async () => {
    const { backend } = fakeBackend();
    const runner = new RefineRunner(backend, { maxRounds: 1, tmpRoot: tmpDir('refine-queue') });
    const events: RefineEvent[] = [];
    runner.onEvent((e) => events.push(e));
    const r1 = await runner.wait(runner.start({ source: { path: 'p.png' }, strokes, settings }));
    const j2 = runner.start({ source: { path: 'p.png' }, strokes, settings });
    await runner.wait(j2);
    expect(events.filter((e) => e.type === 'dropped')).toEqual([{ type: 'dropped', jobId: j2, roundIds: [r1] }]);
    runner.dispose();
  });
});

describe('EngineService: restore and refine share one gate', () => {
  const tmp = tmpDir('service-gate');
  let service: EngineService;
  let photo: string;

  beforeAll(async () => {
    service = new EngineService({ modelsDir: FIXTURES, userDataDir: path.join(tmp, 'user') });
    photo = path.join(tmp, 'a.png');
    await sharp(crops(1)[0]).extract({ left: 0, top: 0, width: W, height: H }).png().toFile(photo);
  });
  afterAll(async () => {
    await service.dispose();
    rmrf(tmp);
  });

  it('a refine started while a restore file holds the gate waits for it, and is cancellable while it waits', async () => {
    const events: RefineEvent[] = [];
    service.onRefineEvent((e) => events.push(e));
    const release = await service.gate.acquire('restore'); // as a batch's file does
    const { jobId } = await service.startRefine({ source: { path: photo }, strokes, settings });
    const { jobId: other } = await service.startRefine({ source: { path: photo }, strokes, settings });
    await tick();
    expect(events.filter((e) => e.jobId === jobId)).toEqual([{ type: 'queued', jobId, behind: 'restore', ahead: 0 }]);
    await service.cancelRefine(other);
    await expect(service.getRefineResult(other)).rejects.toThrow(/cancelled/);
    release();
    const round = await service.getRefineResult(jobId);
    expect(round.preview.fullWidth).toBe(W);
    expect(events.filter((e) => e.jobId === jobId).map((e) => e.type)).toEqual(['queued', 'start', 'provider', 'step', 'step', 'step', 'done']);
    expect(service.gate.heldBy).toBeNull();
  });

  it("a restore file waits while a refine holds the gate (the batch's cancel still works)", async () => {
    const events: JobEvent[] = [];
    service.onJobEvent((e) => events.push(e));
    const release = await service.gate.acquire('refine');
    const { jobId } = await service.startRestore({
      inputs: [photo],
      outDir: path.join(tmp, 'out'),
      settings: { device: 'cpu', strength: 1, format: 'png', quality: 90 },
    });
    await expect.poll(() => events.some((e) => e.jobId === jobId && e.type === 'file-start')).toBe(true);
    // the file reaches the gate after its decode (no fixed wait: on a loaded machine that takes its time) and stays
    await expect.poll(() => service.gate.waiting).toBe(1);
    await new Promise((r) => setTimeout(r, 50));
    expect(service.gate.waiting).toBe(1);
    expect(events.some((e) => e.jobId === jobId && e.type === 'file-done')).toBe(false);
    // the file says what it waits for (the app shows "Waiting for the refine to finish…", not "Restoring… 5%")
    expect(events.filter((e) => e.jobId === jobId && e.type === 'file-waiting')).toEqual([
      { type: 'file-waiting', jobId, index: 0, behind: 'refine' },
    ]);
    release();
    await service.waitForJob(jobId);
    const after = events.filter((e) => e.jobId === jobId).map((e) => e.type);
    expect(after.indexOf('file-progress', after.indexOf('file-waiting'))).toBeGreaterThan(after.indexOf('file-waiting'));
    expect(events.find((e) => e.jobId === jobId && e.type === 'file-done')).toMatchObject({ result: { status: 'ok' } });

    // cancelled while waiting for the gate: the file is cancelled, nothing written, the gate free again
    const again = await service.gate.acquire('refine');
    const { jobId: j2 } = await service.startRestore({
      inputs: [photo],
      outDir: path.join(tmp, 'out2'),
      settings: { device: 'cpu', strength: 1, format: 'png', quality: 90 },
    });
    await expect.poll(() => service.gate.waiting).toBe(1);
    await service.cancelJob(j2);
    await service.waitForJob(j2);
    expect(events.find((e) => e.jobId === j2 && e.type === 'file-done')).toMatchObject({ result: { status: 'cancelled' } });
    again();
    expect(service.gate.heldBy).toBeNull();
  });
});
