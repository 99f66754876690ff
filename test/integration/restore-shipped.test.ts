// The shipped restore model (models/manifest.json's default_restore) on a real photo: the tile overlap written in
// the manifest must make a tiled result equal the untiled one (under one 8-bit level), and the model must change
// a degraded photo towards its clean original.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SessionCache } from '../../src/core/inference/session';
import { getModel, loadManifest } from '../../src/core/models/manifest';
import { restoreImage } from '../../src/core/restore/restore';
import type { RestoreModel } from '../../src/shared/types';
import { cbsd68, loadRgb, maxAbsDiff, ROOT, type RawImage } from '../unit/restore-helpers';

const MODELS = path.join(ROOT, 'models');
const sessions = new SessionCache();
let model: RestoreModel;
let session: Awaited<ReturnType<SessionCache['get']>>['session'];

beforeAll(async () => {
  const manifest = await loadManifest(MODELS);
  model = getModel(manifest, undefined, 'restore') as RestoreModel;
  session = (await sessions.get(MODELS, model, 'cpu')).session;
});
afterAll(() => sessions.dispose());

const psnr = (a: RawImage, b: RawImage) => {
  let s = 0;
  for (let i = 0; i < a.rgb.length; i++) s += (a.rgb[i] - b.rgb[i]) ** 2;
  return 10 * Math.log10((255 * 255) / (s / a.rgb.length));
};

describe(`shipped restore model`, () => {
  it('tiles seamlessly with the manifest overlap: tiled equals untiled within one 8-bit level', async () => {
    const img = await loadRgb(cbsd68(1)[0]);
    const whole = await restoreImage(img, model, session, { tile: Infinity });
    const tiled = await restoreImage(img, model, session, { tile: 256 });
    expect(maxAbsDiff(whole.image, tiled.image)).toBeLessThanOrEqual(1 / 255);
    expect(tiled.stats.tiles).toBeGreaterThan(1);
  });

  it('brings a noisy, faded photo closer to its original', async () => {
    const file = cbsd68(2)[1];
    const clean = await loadRgb(file);
    // seeded degradation: contrast loss + lifted blacks + Gaussian noise (sigma 15)
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const gauss = () => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
    const rgb = new Uint8Array(clean.rgb.length);
    for (let i = 0; i < rgb.length; i++) rgb[i] = Math.max(0, Math.min(255, Math.round(30 + 0.8 * clean.rgb[i] + 15 * gauss())));
    const degraded: RawImage = { ...clean, rgb };
    const out = await restoreImage(degraded, model, session, {});
    expect(psnr(out.image, clean)).toBeGreaterThan(psnr(degraded, clean) + 1);
  });
});
