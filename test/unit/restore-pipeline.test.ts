// The restore pipeline: decode -> stages -> encode. A stage is a module implementing Stage; these tests run the
// shipped list (the local network alone, as before) and lists with extra test stages, on a photo from samples/.
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { downscalePlanar } from '../../src/core/image/planar';
import { SessionCache } from '../../src/core/inference/session';
import { runRestoreJob } from '../../src/core/jobs/batch';
import { RestorePipeline } from '../../src/core/restore/pipeline';
import { restoreImage } from '../../src/core/restore/restore';
import { STAGES, type Stage } from '../../src/core/restore/stages';
import { localStage } from '../../src/core/restore/stages/local';
import { loadManifest, getModel } from '../../src/core/models/manifest';
import type { JobEvent, RestoreSettings } from '../../src/shared/types';
import { FIXTURES, loadRgb, maxAbsDiff, rmrf, ROOT, tmpDir } from './restore-helpers';

const tmp = tmpDir('pipeline');
const sessions = new SessionCache({ threads: 1 });
const SAMPLE = path.join(ROOT, 'samples', 'bearded-man.jpg');
const settings = (s: Partial<RestoreSettings> = {}): RestoreSettings => ({
  device: 'cpu',
  strength: 1,
  format: 'png',
  quality: 90,
  tile: 64,
  ...s,
});
const crop = { left: 40, top: 40, width: 96, height: 80 };
let photo: string;
beforeAll(async () => {
  photo = path.join(tmp, 'in', 'photo.png');
  fs.mkdirSync(path.dirname(photo), { recursive: true });
  await sharp(SAMPLE).extract(crop).png().toFile(photo);
});
afterAll(async () => {
  await sessions.dispose();
  rmrf(tmp);
});

/** A test stage that inverts the image, reports the thumbnail's mean as its info and records what it saw. */
function invertStage(name: string, seen: string[]): Stage {
  return {
    name,
    kind: null,
    weight: 1,
    enabled: (_s, own) => own.enabled !== false,
    async load() {
      seen.push(`load ${name}`);
      return {
        async run(img, ctx) {
          seen.push(`run ${name}`);
          const t = ctx.thumbnail(16);
          const mean = t.data.reduce((a, b) => a + b, 0) / t.data.length;
          ctx.onProgress(0.5);
          ctx.onProgress(1);
          const rgb = img.rgb.slice();
          const max = img.bitDepth === 16 ? 65535 : 255;
          for (let i = 0; i < rgb.length; i++) rgb[i] = max - rgb[i];
          return { image: { ...img, rgb }, info: { mean, thumb: [t.width, t.height] } };
        },
      };
    },
  };
}

describe('restore pipeline', () => {
  it('ships the tone stage first, then scratches, then the local network', () => {
    expect(STAGES.map((s) => [s.name, s.kind])).toEqual([['tone', 'tone'], ['scratches', 'scratch'], ['local', 'restore']]);
  });

  it('with the shipped stages and a models folder without a tone model gives exactly what restoreImage gives', async () => {
    const img = await loadRgb(photo);
    const manifest = await loadManifest(FIXTURES);
    const { session } = await sessions.get(FIXTURES, getModel(manifest, undefined, 'restore'), 'cpu');
    const model = getModel(manifest, undefined, 'restore');
    // the local stage keeps the photo's tones unless told not to (src/core/restore/keep-tones.ts)
    const direct = await restoreImage(img, model, session, { tile: 64, strength: 0.7, keepTones: true });
    const p = new RestorePipeline({ settings: settings({ strength: 0.7 }), modelsDir: FIXTURES, sessions });
    const r = await p.run(img, { input: photo });
    expect(maxAbsDiff(r.image, direct.image)).toBe(0);
    expect(r.tiles).toBe(direct.stats.tiles);
    expect(r.info).toBeUndefined();
    const free = await restoreImage(img, model, session, { tile: 64, strength: 0.7 });
    const q = new RestorePipeline({ settings: settings({ strength: 0.7, stages: { local: { keepTones: false } } }), modelsDir: FIXTURES, sessions });
    expect(maxAbsDiff((await q.run(img, { input: photo })).image, free.image)).toBe(0);
  });

  it('runs stages in order, maps each one progress into its share, and returns their info by name', async () => {
    const seen: string[] = [];
    const p = new RestorePipeline({
      settings: settings(),
      modelsDir: FIXTURES,
      sessions,
      stages: [invertStage('a', seen), localStage, invertStage('b', seen)],
    });
    const img = await loadRgb(photo);
    const fractions: number[] = [];
    const r = await p.run(img, { input: photo, onProgress: (f) => fractions.push(f) });
    expect(seen).toEqual(['load a', 'load b', 'run a', 'run b']);
    // the thumbnail is of the decoded photo (the input of the first stage), shared by both stages
    const thumb = downscalePlanar(img, 16);
    const mean = thumb.data.reduce((a, b) => a + b, 0) / thumb.data.length;
    expect(r.info).toEqual({ a: { mean, thumb: [16, 13] }, b: { mean, thumb: [16, 13] } });
    expect(fractions.slice(0, 2)).toEqual([1 / 6, 1 / 3]);
    expect(fractions.at(-1)).toBeCloseTo(1, 12);
    for (let i = 1; i < fractions.length; i++) expect(fractions[i]).toBeGreaterThanOrEqual(fractions[i - 1]);
    // invert -> network -> invert differs from the network alone
    const plain = await new RestorePipeline({ settings: settings(), modelsDir: FIXTURES, sessions }).run(img, { input: photo });
    expect(maxAbsDiff(r.image, plain.image)).toBeGreaterThan(0.01);
    // the input image is left as it was
    expect(maxAbsDiff(img, await loadRgb(photo))).toBe(0);
  });

  it('leaves out a stage disabled in settings.stages; its model is not loaded', async () => {
    const seen: string[] = [];
    const p = new RestorePipeline({
      settings: settings({ stages: { a: { enabled: false }, local: { enabled: false } } }),
      modelsDir: FIXTURES,
      sessions,
      stages: [invertStage('a', seen), localStage],
    });
    const img = await loadRgb(photo);
    const r = await p.run(img, { input: photo });
    expect(seen).toEqual([]);
    expect(r.image).toBe(img);
  });

  it('a job reports each stage info with its file and the stage settings reach the stage', async () => {
    const seen: string[] = [];
    const events: JobEvent[] = [];
    const outDir = path.join(tmp, 'out');
    const summary = await runRestoreJob(
      { inputs: [photo], outDir, settings: settings({ stages: { local: { strength: 0 } } }) },
      { sessions, modelsDir: FIXTURES, stages: [localStage, invertStage('inv', seen)], onEvent: (e) => events.push(e) },
    );
    expect(summary.ok).toBe(1);
    const done = events.find((e) => e.type === 'file-done');
    expect(done?.type === 'file-done' && done.result.info?.inv).toMatchObject({ thumb: [16, 13] });
    // local at strength 0 is the input; inverted once: the output is the inverse of the input
    const out = await loadRgb(path.join(outDir, 'photo.png'));
    const inv = await loadRgb(photo);
    for (let i = 0; i < inv.rgb.length; i++) inv.rgb[i] = 255 - inv.rgb[i];
    expect(maxAbsDiff(out, inv)).toBe(0);
  });

  it('a stage whose model cannot load fails every photo with the same message', async () => {
    const broken: Stage = { ...localStage, name: 'broken', load: () => Promise.reject(new Error('no broken model here')) };
    const events: JobEvent[] = [];
    const summary = await runRestoreJob(
      { inputs: [photo, photo.replace('photo', 'missing')], outDir: path.join(tmp, 'out-broken'), settings: settings() },
      { sessions, modelsDir: FIXTURES, stages: [broken], onEvent: (e) => events.push(e) },
    );
    expect(summary.failed).toBe(2);
    const errors = events.flatMap((e) => (e.type === 'file-done' ? [e.result.error] : []));
    expect(errors[0]).toBe('no broken model here');
  });
});

describe('downscalePlanar', () => {
  it('averages boxes, keeps the aspect and never enlarges', () => {
    const img = { width: 4, height: 2, bitDepth: 8 as const, rgb: new Uint8Array([0, 0, 0, 255, 255, 255, 0, 0, 0, 255, 255, 255, 0, 0, 0, 255, 255, 255, 0, 0, 0, 255, 255, 255]) };
    const t = downscalePlanar(img, 2);
    expect([t.width, t.height]).toEqual([2, 1]);
    expect([...t.data]).toEqual([0.5, 0.5, 0.5, 0.5, 0.5, 0.5]);
    expect(downscalePlanar(img, 100).width).toBe(4);
  });
});
