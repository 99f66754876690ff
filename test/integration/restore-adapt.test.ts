// "Adapt to each photo" with the shipped restore models (their manifest `amount`, fitted by training/fit_amount.py):
// through the restore pipeline's local stage, a clean photo is left nearly as it was where the network at full
// strength would reshape it, while the same photo with noise is still restored about as well as at full strength.
// The amount is one number per photo, judged from the whole photo, so the tile size cannot change it.
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SessionCache } from '../../src/core/inference/session';
import { loadManifest } from '../../src/core/models/manifest';
import { AMOUNT_FEATURES } from '../../src/core/restore/amount';
import { RestorePipeline } from '../../src/core/restore/pipeline';
import { localStage } from '../../src/core/restore/stages/local';
import type { Manifest, RestoreModel, RestoreSettings } from '../../src/shared/types';
import { crops, ROOT, type RawImage } from '../unit/restore-helpers';

const MODELS = path.join(ROOT, 'models');
const sessions = new SessionCache();
let manifest: Manifest;
let clean: RawImage;
let noisy: RawImage;

const psnr = (a: RawImage, b: RawImage) => {
  let s = 0;
  for (let i = 0; i < a.rgb.length; i++) s += (a.rgb[i] - b.rgb[i]) ** 2;
  return s === 0 ? 99 : 10 * Math.log10((255 * 255) / (s / a.rgb.length));
};

beforeAll(async () => {
  manifest = await loadManifest(MODELS);
  // a real photo area-downscaled 4x: the scan's grain averages away and what is left is a clean, sharp photo
  const { data, info } = await sharp(crops(2)[1]).removeAlpha().resize({ width: 240, kernel: 'cubic' }).raw().toBuffer({ resolveWithObject: true });
  clean = { width: info.width, height: info.height, bitDepth: 8, rgb: new Uint8Array(data) };
  let s = 11;
  const rand = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 4294967296);
  const gauss = () => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
  noisy = { ...clean, rgb: clean.rgb.map((v) => Math.max(0, Math.min(255, Math.round(v + 15 * gauss())))) };
});
afterAll(async () => {
  await sessions.dispose();
});

async function restore(img: RawImage, modelId: string, local: RestoreSettings['stages'] extends infer S ? S extends Record<string, infer L> ? L : never : never, tile?: number) {
  const settings: RestoreSettings = { modelId, device: 'cpu', strength: 1, format: 'png', quality: 92, ...(tile ? { tile } : {}), stages: { local } };
  const r = await new RestorePipeline({ settings, modelsDir: MODELS, sessions, stages: [localStage] }).run(img, { input: 'test.png' });
  return { image: r.image as RawImage, amount: r.info?.local?.amount as number | undefined };
}

const ids = ['restore-naf32-v2', 'restore-naf32-natural-v3'];

describe.each(ids)('%s adapts to the photo', (id) => {
  it('ships a regressor for its own network, over the engine\'s features', () => {
    const m = manifest.models.find((x) => x.id === id) as RestoreModel;
    expect(m.amount?.features).toEqual([...AMOUNT_FEATURES]);
  });

  it('leaves a clean photo nearly alone and still restores the same photo with noise', async () => {
    const fixedClean = await restore(clean, id, { adapt: false });
    const adaptClean = await restore(clean, id, {});
    const fixedNoisy = await restore(noisy, id, { adapt: false });
    const adaptNoisy = await restore(noisy, id, {});
    expect(fixedClean.amount).toBeUndefined();
    // measured 2026-12-07: clean 0.27 (pixel-loss model) and 0.55 (natural), noisy 0.91 and 0.93
    expect(adaptNoisy.amount).toBeGreaterThan(0.8);
    expect(adaptClean.amount).toBeLessThan((adaptNoisy.amount ?? 0) - 0.3);
    // the clean photo: the network alone reshapes it (42.7 and 40.5 dB to itself), adapted it stays closer (54.1, 45.6)
    expect(psnr(adaptClean.image, clean)).toBeGreaterThan(psnr(fixedClean.image, clean) + 4);
    expect(psnr(adaptClean.image, clean)).toBeGreaterThan(44);
    // the noisy one: restored about as well as at full strength
    expect(psnr(adaptNoisy.image, clean)).toBeGreaterThan(psnr(noisy, clean) + 4);
    expect(psnr(adaptNoisy.image, clean)).toBeGreaterThan(psnr(fixedNoisy.image, clean) - 0.5);
  }, 120_000);

  it('judges the photo once, whatever the tile size', async () => {
    const a = await restore(noisy, id, {}, 64);
    const b = await restore(noisy, id, {});
    expect(a.amount).toBe(b.amount);
  }, 120_000);
});
