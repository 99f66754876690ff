// The shipped tone model (models/manifest.json, kind "tone") through the tone stage on real photos: a faded,
// colour-cast print comes back towards its original; a clean photo is left nearly alone; 8 and 16 bit agree, alpha
// stays, grey stays grey; the stage does not depend on the tile size; and the info it returns re-applies (the app's
// live preview) to exactly what the engine computes at that strength.
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SessionCache } from '../../src/core/inference/session';
import { getModel, loadManifest } from '../../src/core/models/manifest';
import { RestorePipeline } from '../../src/core/restore/pipeline';
import { localStage } from '../../src/core/restore/stages/local';
import { toneStage } from '../../src/core/restore/stages/tone';
import { applyToneMapping, type ToneInfo } from '../../src/shared/tone';
import type { RestoreSettings } from '../../src/shared/types';
import { crops, loadRgb, maxAbsDiff, ROOT, to16, type RawImage } from '../unit/restore-helpers';

const MODELS = path.join(ROOT, 'models');
const sessions = new SessionCache({ threads: 1 });
afterAll(() => sessions.dispose());

const settings = (tone: Record<string, unknown> = {}, s: Partial<RestoreSettings> = {}): RestoreSettings => ({
  device: 'cpu',
  strength: 1,
  format: 'png',
  quality: 90,
  stages: { tone: { strength: 1, ...tone } },
  ...s,
});

async function tone(img: RawImage, t: Record<string, unknown> = {}, stages = [toneStage], s: Partial<RestoreSettings> = {}) {
  const p = new RestorePipeline({ settings: settings(t, s), modelsDir: MODELS, sessions, stages });
  return p.run(img, { input: 'test' });
}

const psnr = (a: RawImage, b: RawImage) => {
  let s = 0;
  const k = a.bitDepth === 16 ? 1 / 257 : 1;
  for (let i = 0; i < a.rgb.length; i++) s += (a.rgb[i] * k - b.rgb[i]) ** 2;
  return 10 * Math.log10((255 * 255) / (s / a.rgb.length));
};

/** A faded, colour-cast print of the photo: lifted blacks, dimmed whites, the blue record darkened (yellowing). */
function fade(img: RawImage): RawImage {
  const rgb = new Uint8Array(img.rgb.length);
  const lo = [40, 30, 20];
  const hi = [225, 210, 160];
  for (let i = 0; i < rgb.length; i++) {
    const c = i % 3;
    const v = img.rgb[i] / 255;
    rgb[i] = Math.round(lo[c] + (hi[c] - lo[c]) * (c === 2 ? v ** 1.2 : v));
  }
  return { ...img, rgb };
}

describe('shipped tone model', () => {
  it('is in the manifest with its own kind', async () => {
    const m = getModel(await loadManifest(MODELS), undefined, 'tone');
    expect(m.kind).toBe('tone');
    expect(m.outputs).toEqual(['affine', 'knots_x', 'knots_y', 'amount']);
  });

  it('brings a faded, yellowed print back towards its original, and leaves the clean photo nearly alone', async () => {
    // the bearded man of samples/: a well-exposed print (the other samples are faded themselves, which the model sees)
    const clean = await loadRgb(crops(4)[3]);
    const faded = fade(clean);
    const r = await tone(faded);
    expect(psnr(r.image, clean)).toBeGreaterThan(psnr(faded, clean) + 4);
    const info = r.info?.tone as unknown as ToneInfo;
    expect(info.detected).toBe('colour');
    expect(info.summary.cast[2]).toBeLessThan(0); // the yellow cast (blue below the luma) is removed
    const same = await tone(clean);
    expect(psnr(same.image, clean)).toBeGreaterThan(38);
  });

  it('8 and 16 bit agree within one level; alpha is kept; grey stays grey', async () => {
    const img = fade(await loadRgb(crops(2)[1], { left: 0, top: 0, width: 200, height: 160 }));
    const alpha = new Uint8Array(img.width * img.height).map((_, i) => i % 256);
    const a = await tone({ ...img, alpha });
    const b = await tone(to16(img));
    expect(a.image.alpha).toBe(alpha);
    let worst = 0;
    for (let i = 0; i < a.image.rgb.length; i++) worst = Math.max(worst, Math.abs(b.image.rgb[i] / 257 - a.image.rgb[i]));
    expect(worst).toBeLessThanOrEqual(1);
    const grey = { ...img, rgb: img.rgb.map((_, i) => img.rgb[i - (i % 3) + 1]) };
    const g = await tone(grey, { mode: 'auto' });
    expect((g.info?.tone as unknown as ToneInfo).detected).toBe('grey');
    for (let i = 0; i < g.image.rgb.length; i += 3) {
      expect(g.image.rgb[i]).toBe(g.image.rgb[i + 1]);
      expect(g.image.rgb[i + 1]).toBe(g.image.rgb[i + 2]);
    }
    expect(maxAbsDiff(g.image, grey)).toBeGreaterThan(0.02); // levels came back
  });

  it('does not depend on the tiling: with the local network, tiled and untiled runs get the same mapping', async () => {
    const img = fade(await loadRgb(crops(2)[0], { left: 0, top: 0, width: 192, height: 160 }));
    const tiled = await tone(img, {}, [toneStage, localStage], { tile: 64 });
    const whole = await tone(img, {}, [toneStage, localStage], { tile: 16384 });
    const noMs = (t: unknown) => ({ ...(t as ToneInfo), ms: 0 });
    expect(noMs(tiled.info?.tone)).toEqual(noMs(whole.info?.tone));
    const alone = await tone(img, {}, [toneStage], { tile: 64 });
    const alone2 = await tone(img, {}, [toneStage], { tile: 16384 });
    expect(maxAbsDiff(alone.image, alone2.image)).toBe(0);
  });

  it("the returned mapping re-applied at another strength is exactly the engine's result at that strength", async () => {
    const img = fade(await loadRgb(crops(3)[2], { left: 0, top: 0, width: 160, height: 160 }));
    const full = await tone(img);
    const half = await tone(img, { strength: 0.5 });
    const info = full.info?.tone as unknown as ToneInfo;
    const again = new Uint8Array(img.rgb.length);
    applyToneMapping(img.rgb, again, 3, 255, info, 0.5);
    expect(maxAbsDiff({ ...img, rgb: again }, half.image)).toBe(0);
    // strength 0: the stage is not run at all
    const off = await tone(img, { strength: 0 });
    expect(off.image).toBe(img);
  });
});
