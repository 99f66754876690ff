import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineService, type EngineMessage, type RefineRunnerFactory, SETTINGS_FILE } from '../../src/core/service';
import { DEFAULT_SETTINGS } from '../../src/shared/settings';
import type { JobEvent } from '../../src/shared/types';
import { cbsd68, copyFixtureModels, FIXTURES, rmrf, tmpDir } from './restore-helpers';

const tmp = tmpDir('service');
let photos: string;
const services: EngineService[] = [];
const make = (opts: Partial<ConstructorParameters<typeof EngineService>[0]> = {}) => {
  const s = new EngineService({ modelsDir: FIXTURES, userDataDir: path.join(tmp, 'user'), ...opts });
  services.push(s);
  return s;
};

beforeAll(async () => {
  photos = path.join(tmp, 'photos');
  fs.mkdirSync(path.join(photos, 'sub'), { recursive: true });
  const [a, b] = cbsd68(2);
  await sharp(a).extract({ left: 0, top: 0, width: 96, height: 64 }).png().toFile(path.join(photos, 'a.png'));
  await sharp(b).extract({ left: 0, top: 0, width: 80, height: 60 }).jpeg().toFile(path.join(photos, 'sub', 'b.jpg'));
  fs.writeFileSync(path.join(photos, 'readme.txt'), 'x');
});
afterAll(async () => {
  for (const s of services) await s.dispose();
  rmrf(tmp);
});

function collect(s: EngineService) {
  const all: EngineMessage[] = [];
  s.on((m) => all.push(m));
  return all;
}

async function waitDone(s: EngineService, jobId: string, events: JobEvent[]) {
  await s.waitForJob(jobId);
  return events.filter((e) => e.jobId === jobId);
}

describe('EngineService settings', () => {
  it('starts from the defaults, persists a patch to userData/settings.json and reads it back in a new service', async () => {
    const user = path.join(tmp, 'settings1');
    const s1 = make({ userDataDir: user });
    expect(await s1.getSettings()).toEqual(DEFAULT_SETTINGS);
    const next = await s1.setSettings({ format: 'jpeg', quality: 80, strength: 0.4 });
    expect(next).toMatchObject({ format: 'jpeg', quality: 80, strength: 0.4 });
    const onDisk = JSON.parse(fs.readFileSync(path.join(user, SETTINGS_FILE), 'utf8'));
    expect(onDisk.format).toBe('jpeg');
    const s2 = make({ userDataDir: user });
    expect(await s2.getSettings()).toEqual(next);
  });

  it('keeps the chosen restore model; a stored id of a removed model reads back as it is (the app falls back)', async () => {
    const user = path.join(tmp, 'settings3');
    expect((await make({ userDataDir: user }).setSettings({ restoreModel: 'restore-fixture-unet' })).restoreModel).toBe(
      'restore-fixture-unet',
    );
    expect((await make({ userDataDir: user }).getSettings()).restoreModel).toBe('restore-fixture-unet');
    fs.writeFileSync(path.join(user, SETTINGS_FILE), JSON.stringify({ restoreModel: 'restore-naf32-v1', quality: 70 }));
    expect(await make({ userDataDir: user }).getSettings()).toEqual({ ...DEFAULT_SETTINGS, quality: 70, restoreModel: 'restore-naf32-v1' });
  });

  it('sanitises bad values (kept as before) and survives a damaged settings file', async () => {
    const user = path.join(tmp, 'settings2');
    const s = make({ userDataDir: user });
    await s.setSettings({ quality: 50 });
    const after = await s.setSettings({ quality: 'high' as unknown as number, strength: 7, device: 'tpu' as never });
    expect(after.quality).toBe(50);
    expect(after.strength).toBe(1);
    expect(after.device).toBe('auto');
    fs.writeFileSync(path.join(user, SETTINGS_FILE), '{ not json');
    expect(await make({ userDataDir: user }).getSettings()).toEqual(DEFAULT_SETTINGS);
  });
});

describe('EngineService info, inputs, preview', () => {
  it('getInfo lists the models with their checksum state and the providers', async () => {
    const info = await make().getInfo();
    expect(info.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(info.models.find((m) => m.id === 'restore-fixture')).toMatchObject({ kind: 'restore', sha256Ok: true });
    expect(info.providers).toContain('cpu');
    expect(info.lastProvider).toBeNull();
    expect(info.defaultRestore).toBe('restore-fixture'); // the manifest's default_restore, for the app's model choice
    expect(info.models.find((m) => m.id === 'restore-fixture')).not.toHaveProperty('description');

    const dir = copyFixtureModels(path.join(tmp, 'bad-models'));
    fs.appendFileSync(path.join(dir, 'restore-fixture-unet.onnx'), 'x');
    const bad = await make({ modelsDir: dir }).getInfo();
    const unet = bad.models.find((m) => m.id === 'restore-fixture-unet')!;
    expect(unet.sha256Ok).toBe(false);
    expect(unet.error).toBe('Model file models/restore-fixture-unet.onnx is damaged (checksum mismatch). Reinstall Revive.');
  });

  it("getInfo passes a model's manifest description on", async () => {
    const dir = copyFixtureModels(path.join(tmp, 'described-models'));
    const file = path.join(dir, 'manifest.json');
    const m = JSON.parse(fs.readFileSync(file, 'utf8'));
    m.models.find((x: { id: string }) => x.id === 'restore-fixture-unet').description = 'Keeps more grain.';
    fs.writeFileSync(file, JSON.stringify(m));
    const info = await make({ modelsDir: dir }).getInfo();
    expect(info.models.find((x) => x.id === 'restore-fixture-unet')?.description).toBe('Keeps more grain.');
  });

  it('expandInputs walks folders and leaves non-images out', async () => {
    const s = make();
    const files = await s.expandInputs([photos, path.join(photos, 'readme.txt')]);
    expect(files).toEqual([path.join(photos, 'a.png'), path.join(photos, 'sub', 'b.jpg')]);
  });

  it('loadPreview gives encoded bytes and the full size', async () => {
    const p = await make().loadPreview(path.join(photos, 'a.png'), 48);
    expect(p.fullWidth).toBe(96);
    expect(p.fullHeight).toBe(64);
    expect(Math.max(p.width, p.height)).toBeLessThanOrEqual(48);
    const meta = await sharp(Buffer.from(p.bytes)).metadata();
    expect(meta.width).toBe(p.width);
  });
});

describe('EngineService restore jobs', () => {
  it('runs a job in the background, emits its events to on() and onJobEvent(), records the provider', async () => {
    const s = make();
    const all = collect(s);
    const jobEvents: JobEvent[] = [];
    const off = s.onJobEvent((e) => jobEvents.push(e));
    const out = path.join(tmp, 'out1');
    const settings = { ...(await s.getSettings()), device: 'cpu' as const };
    const { jobId } = await s.startRestore({ inputs: [photos], outDir: out, settings });
    const evs = await waitDone(s, jobId, jobEvents);
    off();
    expect(evs[0].type).toBe('start');
    const done = evs[evs.length - 1];
    expect(done).toMatchObject({ type: 'done', summary: { total: 2, ok: 2 } });
    expect(all.every((m) => m.channel === 'job')).toBe(true);
    expect(all.length).toBe(jobEvents.length);
    expect(fs.existsSync(path.join(out, 'a.png'))).toBe(true);
    expect(fs.existsSync(path.join(out, 'sub', 'b.jpg'))).toBe(true);
    expect((await s.getInfo()).lastProvider).toMatchObject({ requested: 'cpu', used: 'cpu' });
  });

  it('runs jobs one after the other and cancels a queued job before it starts', async () => {
    const s = make();
    const events: JobEvent[] = [];
    s.onJobEvent((e) => events.push(e));
    const settings = { ...DEFAULT_SETTINGS, device: 'cpu' as const, tile: 32 };
    const j1 = await s.startRestore({ inputs: [photos], outDir: path.join(tmp, 'q1'), settings });
    const j2 = await s.startRestore({ inputs: [photos], outDir: path.join(tmp, 'q2'), settings });
    await s.cancelJob(j2.jobId);
    await s.waitForJob(j2.jobId);
    const d1 = events.find((e) => e.type === 'done' && e.jobId === j1.jobId);
    const d2 = events.find((e) => e.type === 'done' && e.jobId === j2.jobId);
    expect(d1).toMatchObject({ summary: { ok: 2 } });
    expect(d2).toMatchObject({ summary: { ok: 0, cancelled: 2 } });
    // job 1 finished before job 2 started
    expect(events.indexOf(d1!)).toBeLessThan(events.findIndex((e) => e.jobId === j2.jobId));
    expect(fs.existsSync(path.join(tmp, 'q2'))).toBe(false);
  });
});

describe('EngineService refine delegation', () => {
  it('says refine is unavailable when built without a runner', async () => {
    const s = make({ refine: null });
    await expect(s.startRefine({ source: { path: 'x' }, strokes: new Uint8Array(), settings: {} as never })).rejects.toThrow(
      /Refine is not available/,
    );
  });

  it('delegates to the RefineRunner and forwards its events on the refine channel', async () => {
    const calls: string[] = [];
    const factory: RefineRunnerFactory = (host) => ({
      startRefine: async () => {
        calls.push('start');
        host.emit({ type: 'step', jobId: 'r1', step: 1, steps: 2, fraction: 0.5 });
        host.setLastProvider({ requested: 'auto', used: 'cpu', fallbacks: [] });
        return { jobId: 'r1' };
      },
      getRefineResult: async (id) => {
        calls.push(`result ${id}`);
        return { roundId: 'round1', preview: { bytes: new Uint8Array(), mime: 'image/png', width: 1, height: 1, fullWidth: 1, fullHeight: 1 } };
      },
      saveRound: async (id, p) => {
        calls.push(`save ${id} ${p}`);
        return p;
      },
      cancelRefine: async (id) => void calls.push(`cancel ${id}`),
      colorize: async () => {
        throw new Error('not used here');
      },
    });
    const s = make({ refine: factory });
    const msgs = collect(s);
    const refineEvents: unknown[] = [];
    s.onRefineEvent((e) => refineEvents.push(e));
    expect(await s.startRefine({ source: { path: 'x' }, strokes: new Uint8Array(), settings: {} as never })).toEqual({ jobId: 'r1' });
    expect((await s.getRefineResult('r1')).roundId).toBe('round1');
    expect(await s.saveRound('round1', '/tmp/x.png')).toBe('/tmp/x.png');
    await s.cancelRefine('r1');
    expect(calls).toEqual(['start', 'result r1', 'save round1 /tmp/x.png', 'cancel r1']);
    expect(msgs).toEqual([{ channel: 'refine', event: { type: 'step', jobId: 'r1', step: 1, steps: 2, fraction: 0.5 } }]);
    expect(refineEvents).toHaveLength(1);
    expect((await s.getInfo()).lastProvider).toMatchObject({ used: 'cpu' });
  });
});
