// "Keep the photo's tones" with the shipped restore models, through the restore pipeline's local stage at full
// strength: on a faded, grainy photo the network by itself darkens and de-yellows the whole photo by 14-27 levels
// (it learned to unfade); with its broad change limited (the default) the photo's mean moves by at most 3 levels,
// while the grain is still taken as well. src/core/restore/keep-tones.ts; docs/training/restorer.md.
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SessionCache } from '../../src/core/inference/session';
import { RestorePipeline } from '../../src/core/restore/pipeline';
import { localStage } from '../../src/core/restore/stages/local';
import type { RestoreSettings, StageSettings } from '../../src/shared/types';
import { crops, ROOT, type RawImage } from '../unit/restore-helpers';

const MODELS = path.join(ROOT, 'models');
const sessions = new SessionCache();
let clean: RawImage;
let faded: RawImage;

beforeAll(async () => {
  const { data, info } = await sharp(crops(1)[0]).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  clean = { width: info.width, height: info.height, bitDepth: 8, rgb: new Uint8Array(data) };
  let s = 5;
  const rand = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 4294967296);
  const gauss = () => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
  // a faded print: contrast 0.6, blacks lifted by 70 levels, with grain of 6 levels
  faded = { ...clean, rgb: clean.rgb.map((v) => Math.max(0, Math.min(255, Math.round(0.6 * v + 70 + 6 * gauss())))) };
});
afterAll(async () => {
  await sessions.dispose();
});

async function restore(img: RawImage, local: StageSettings): Promise<RawImage> {
  const settings: RestoreSettings = { device: 'cpu', strength: 1, format: 'png', quality: 92, stages: { local: { adapt: false, ...local } } };
  const r = await new RestorePipeline({ settings, modelsDir: MODELS, sessions, stages: [localStage] }).run(img, { input: 'faded.png' });
  return r.image as RawImage;
}

/** Mean change per channel, in levels. */
function meanShift(a: RawImage, b: RawImage): number[] {
  const s = [0, 0, 0];
  for (let i = 0; i < a.rgb.length; i++) s[i % 3] += a.rgb[i] - b.rgb[i];
  return s.map((v) => v / (a.rgb.length / 3));
}

/** Grain left: RMS of the difference between neighbouring pixels, in levels. */
function roughness(a: RawImage): number {
  let s = 0;
  let n = 0;
  for (let i = 3; i < a.rgb.length; i++) {
    if ((i / 3) % a.width === 0) continue;
    s += (a.rgb[i] - a.rgb[i - 3]) ** 2;
    n++;
  }
  return Math.sqrt(s / n);
}

// restore-naf32-v2 learnt to unfade (its training damage faded prints); restore-naf32-natural-v3 was fine-tuned on
// damage without fading (mix v3, docs/training/restorer.md), so it leaves the tones even by itself
describe.each([
  ['restore-naf32-v2', true],
  ['restore-naf32-natural-v3', false],
])('%s keeps the photo\'s tones', (id, unfades) => {
  it('does not unfade a faded photo on its own, and still takes its grain', async () => {
    const free = await restore(faded, { modelId: id, keepTones: false });
    const kept = await restore(faded, { modelId: id });
    const freeShift = meanShift(free, faded);
    const keptShift = meanShift(kept, faded);
    const freeMax = Math.max(...freeShift.map(Math.abs)); // what the network does by itself
    if (unfades) expect(freeMax).toBeGreaterThan(10);
    else expect(freeMax).toBeLessThan(3);
    for (const v of keptShift) expect(Math.abs(v)).toBeLessThan(3);
    // the grain: the roughness above the grain-free faded photo's (in quadrature) falls by a fifth or more, and the
    // kept-tones result is no rougher than the free one (which also raised the contrast)
    const base = roughness({ ...clean, rgb: clean.rgb.map((v) => Math.round(0.6 * v + 70)) });
    const grain = (a: RawImage) => Math.sqrt(Math.max(0, roughness(a) ** 2 - base ** 2));
    expect(grain(kept)).toBeLessThan(0.8 * grain(faded));
    expect(roughness(kept)).toBeLessThan(roughness(free) + 0.5);
  });
});
