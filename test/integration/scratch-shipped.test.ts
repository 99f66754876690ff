// The shipped scratch models (manifest kinds "scratch" and "fill") through the scratch stage on real photos: a
// painted synthetic scratch and dust are found and filled, and nothing else of the photo changes; the stage gives the
// same mask tiled and whole, 8 and 16 bit; a mask given as a file is filled exactly; refine's unpainted mask starts
// from the fill network.
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SessionCache } from '../../src/core/inference/session';
import { getModel, loadManifest } from '../../src/core/models/manifest';
import { RestorePipeline } from '../../src/core/restore/pipeline';
import { scratchStage, type ScratchInfo } from '../../src/core/restore/stages/scratches';
import { detectDamage, fillMasked, networkHoleFiller } from '../../src/core/scratch/scratch';
import { readMask, writeMask } from '../../src/core/scratch/mask-file';
import type { RestoreSettings } from '../../src/shared/types';
import { paintDamage } from '../helpers/damage';
import { crops, loadRgb, rmrf, ROOT, tmpDir, to16, type RawImage } from '../unit/restore-helpers';

const MODELS = path.join(ROOT, 'models');
const sessions = new SessionCache({ threads: 1 });
const tmp = tmpDir('scratch-shipped');
afterAll(async () => {
  await sessions.dispose();
  rmrf(tmp);
});

const settings = (own: Record<string, unknown> = {}, s: Partial<RestoreSettings> = {}): RestoreSettings => ({
  device: 'cpu',
  strength: 1,
  format: 'png',
  quality: 90,
  stages: { scratches: own },
  ...s,
});

async function stage(img: RawImage, own: Record<string, unknown> = {}, s: Partial<RestoreSettings> = {}) {
  const p = new RestorePipeline({ settings: settings(own, s), modelsDir: MODELS, sessions, stages: [scratchStage] });
  const r = await p.run(img, { input: path.join(tmp, 'photo.png') });
  return { image: r.image, info: r.info?.scratches as unknown as ScratchInfo };
}

const psnr = (a: RawImage, b: RawImage) => {
  let s = 0;
  for (let i = 0; i < a.rgb.length; i++) s += (a.rgb[i] - b.rgb[i]) ** 2;
  return 10 * Math.log10((255 * 255) / (s / a.rgb.length));
};

describe('shipped scratch models', () => {
  it('are in the manifest with their own kinds', async () => {
    const m = await loadManifest(MODELS);
    expect(getModel(m, undefined, 'scratch').outputs).toEqual(['logit']);
    expect(getModel(m, undefined, 'fill').inputs).toEqual(['image', 'mask', 'guide']);
  });

  it("gives back the photo's own fine structure under a wrong mark, but replaces it under a painted mask", async () => {
    // a wrong mark: thin lines over the photo's own finest detail (where it differs most from its 5x5 mean), as the
    // detector sometimes marks a wire or a chain
    const img = await loadRgb(crops(4)[3]); // the bearded man: hair, beard, the jacket's edges
    const { width: W, height: H } = img;
    const Y = (x: number, y: number) => {
      const i = 3 * (y * W + x);
      return 0.299 * img.rgb[i] + 0.587 * img.rgb[i + 1] + 0.114 * img.rgb[i + 2];
    };
    const mask = new Uint8Array(W * H);
    for (let y = 2; y < H - 2; y++) {
      for (let x = 2; x < W - 2; x++) {
        let m = 0;
        for (let dy = -2; dy <= 2; dy++) for (let dx = -2; dx <= 2; dx++) m += Y(x + dx, y + dy);
        if (Math.abs(Y(x, y) - m / 25) > 24) mask[y * W + x] = 1;
      }
    }
    const n = mask.reduce((a, v) => a + v, 0);
    expect(n / (W * H)).toBeGreaterThan(0.002);
    expect(n / (W * H)).toBeLessThan(0.05);
    const m = await loadManifest(MODELS);
    const fill = getModel(m, undefined, 'fill');
    const { session } = await sessions.get(MODELS, fill, 'cpu');
    const err = (out: RawImage) => {
      let e = 0;
      for (let i = 0; i < mask.length; i++) if (mask[i]) for (let c = 0; c < 3; c++) e += Math.abs(out.rgb[3 * i + c] - img.rgb[3 * i + c]);
      return e / (3 * n);
    };
    const guided = err((await fillMasked(img, mask, fill, session, { guided: true })).image);
    const painted = err((await fillMasked(img, mask, fill, session)).image);
    // scratch-fill-v7: 14.0 against 14.5 levels here (3-5 % less on all four test crops; a fill that ignores the
    // guide gives the same for both). It keeps more where a mark is clearly a wire or a chain (docs/training/scratches.md)
    expect(guided).toBeLessThan(0.98 * painted);
    // and through the stage: a mask file is filled as painted (the file's pixels replaced), the detector's mask guided
    const file = await writeMask(path.join(tmp, 'fine.png'), mask, W, H);
    const r = await stage(img, { mask: file });
    expect(err(r.image)).toBeCloseTo(painted, 5);
  });

  it('find a painted scratch, a hairline and dust, fill them, and change nothing else', async () => {
    const clean = await loadRgb(crops(4)[3]); // the bearded man, 321 x 481
    const { damaged, painted } = paintDamage(clean);
    const maskFile = path.join(tmp, 'found.png');
    const r = await stage(damaged, { saveMask: maskFile });
    const mask = await readMask(maskFile, clean.width, clean.height);
    let found = 0;
    let total = 0;
    for (let i = 0; i < painted.length; i++) {
      if (!painted[i]) continue;
      total++;
      found += mask[i];
    }
    expect(found / total).toBeGreaterThan(0.8);
    expect(r.info.source).toBe('detected');
    expect(r.info.pixels).toBe(mask.reduce((a, v) => a + v, 0));
    expect(psnr(r.image, clean)).toBeGreaterThan(psnr(damaged, clean) + 6);
    // outside the mask, the photo's own pixels exactly
    for (let i = 0; i < mask.length; i++) {
      if (mask[i]) continue;
      for (let c = 0; c < 3; c++) if (r.image.rgb[3 * i + c] !== damaged.rgb[3 * i + c]) throw new Error(`pixel ${i} changed`);
    }
  });

  it('marks little of an undamaged photo', async () => {
    const r = await stage(await loadRgb(crops(4)[1])); // the girl with the flower crown
    expect(r.info.fraction).toBeLessThan(0.01);
  });

  it("leaves a round portrait's black mount alone (it once smeared the background into its corners)", async () => {
    const img = await loadRgb(path.join(ROOT, 'samples', 'girl-with-flower-crown.jpg')); // 700 x 700, black corners
    const r = await stage(img);
    expect(r.info.fraction).toBeLessThan(0.005); // was 17 % before the dark-flat rule
    let changed = 0;
    for (let y = 0; y < 120; y++) {
      for (let x = 0; x < 120; x++) {
        for (const [cx, cy] of [[x, y], [699 - x, y], [x, 699 - y], [699 - x, 699 - y]]) {
          const i = 3 * (cy * 700 + cx);
          if (r.image.rgb[i] !== img.rgb[i] || r.image.rgb[i + 1] !== img.rgb[i + 1] || r.image.rgb[i + 2] !== img.rgb[i + 2]) changed++;
        }
      }
    }
    expect(changed).toBe(0);
  });

  it("leaves a print's white border alone (it once painted the photo into it)", async () => {
    const photo = await loadRgb(path.join(ROOT, 'samples', 'girl-in-garden.jpg'));
    const B = 40; // a cream border of 40 px all round, as a print scanned with its border
    const W = photo.width + 2 * B;
    const H = photo.height + 2 * B;
    const rgb = new Uint8Array(3 * W * H);
    for (let i = 0; i < W * H; i++) rgb.set([245, 242, 232], 3 * i);
    for (let y = 0; y < photo.height; y++) {
      rgb.set(photo.rgb.subarray(3 * y * photo.width, 3 * (y + 1) * photo.width), 3 * ((y + B) * W + B));
    }
    const r = await stage({ width: W, height: H, bitDepth: 8, rgb });
    expect(r.info.fraction).toBeLessThan(0.001); // was 13 % before the border rule
    let changed = 0;
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        if (y >= B && y < H - B && x >= B && x < W - B) continue;
        const i = 3 * (y * W + x);
        if (r.image.rgb[i] !== rgb[i] || r.image.rgb[i + 1] !== rgb[i + 1] || r.image.rgb[i + 2] !== rgb[i + 2]) changed++;
      }
    }
    expect(changed).toBe(0);
  });

  it('finds a torn-off edge along every side, not only where the windows start (the bottom and right were missed)', async () => {
    const photo = await loadRgb(crops(4)[0]); // 481 x 321: neither side a multiple of 16
    const { width: W, height: H } = photo;
    // a paper-white strip with a ragged border along one side, as a print torn along its edge and scanned on white
    // (its border wanders slowly and is jagged from pixel to pixel, as training/revive_train/scratch_damage.py draws it)
    let seed = 7;
    const noise = Array.from({ length: Math.max(W, H) }, () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return (seed / 2147483648 - 0.5) * 4;
    });
    const torn = (side: number) => {
      const img = { ...photo, rgb: Uint8Array.from(photo.rgb) };
      const mask = new Uint8Array(W * H);
      for (let y = 0; y < H; y++) {
        for (let x = 0; x < W; x++) {
          const along = side < 2 ? x : y;
          const depth = 40 + 8 * Math.sin(along / 41) + 5 * Math.sin(along / 17 + 1) + noise[along];
          const d = [y, H - 1 - y, x, W - 1 - x][side];
          const a = Math.min(1, Math.max(0, depth - d + 0.5));
          if (a === 0) continue;
          if (a > 0.5) mask[y * W + x] = 1;
          const i = 3 * (y * W + x);
          [240, 234, 212].forEach((v, c) => (img.rgb[i + c] = Math.round(img.rgb[i + c] * (1 - a) + v * a)));
        }
      }
      return { img, mask };
    };
    const found: number[] = [];
    const gains: number[] = [];
    for (const side of [0, 1, 2, 3]) {
      const { img, mask } = torn(side);
      const r = await stage(img, { saveMask: path.join(tmp, `torn-${side}.png`) });
      const got = await readMask(path.join(tmp, `torn-${side}.png`), W, H);
      let hit = 0;
      let n = 0;
      for (let i = 0; i < mask.length; i++) if (mask[i]) { n++; hit += got[i]; }
      found.push(hit / n);
      gains.push(psnr(r.image, photo) - psnr(img, photo));
    }
    // top, bottom, left, right: all found and filled (before: the right edge, 481 px wide, 0 % and +0 dB; measured
    // 83-96 % and +1.7 to +4.9 dB)
    for (const f of found) expect(f).toBeGreaterThan(0.7);
    for (const g of gains) expect(g).toBeGreaterThan(1);
  });

  it('finds the same damage tiled and whole, and from 8 and 16 bit', async () => {
    const { damaged } = paintDamage(await loadRgb(crops(4)[0]));
    const m = await loadManifest(MODELS);
    const det = getModel(m, undefined, 'scratch');
    const { session } = await sessions.get(MODELS, det, 'cpu');
    const whole = await detectDamage(damaged, det, session, { tile: 1024 });
    const tiled = await detectDamage(damaged, det, session, { tile: 160 });
    expect(tiled.tiles).toBeGreaterThan(whole.tiles);
    const deep = await detectDamage(to16(damaged), det, session, { tile: 1024 });
    const agree = (a: Uint8Array, b: Uint8Array) => {
      let worst = 0;
      let flips = 0;
      for (let i = 0; i < a.length; i++) {
        worst = Math.max(worst, Math.abs(a[i] - b[i]));
        if (a[i] >= 128 !== b[i] >= 128) flips++;
      }
      return { worst, flips: flips / a.length };
    };
    expect(agree(whole.prob, deep.prob).worst).toBeLessThanOrEqual(2);
    // the windows see at least half their overlap of context: decisions agree on all but a few pixels
    expect(agree(whole.prob, tiled.prob).flips).toBeLessThan(0.001);
  });

  it('fills exactly a mask given as a file, and keeps alpha', async () => {
    const img = await loadRgb(crops(4)[2]);
    const mask = new Uint8Array(img.width * img.height);
    for (let y = 100; y < 110; y++) for (let x = 50; x < 250; x++) mask[y * img.width + x] = 1;
    const file = await writeMask(path.join(tmp, 'given.png'), mask, img.width, img.height);
    const alpha = new Uint8Array(img.width * img.height).fill(200);
    const r = await stage({ ...img, alpha }, { mask: file });
    expect(r.info.source).toBe('file');
    expect(r.info.pixels).toBe(2000);
    expect(r.image.alpha).toBe(alpha);
    let changed = 0;
    for (let i = 0; i < mask.length; i++) {
      const same = [0, 1, 2].every((c) => r.image.rgb[3 * i + c] === img.rgb[3 * i + c]);
      if (!mask[i]) expect(same).toBe(true);
      else if (!same) changed++;
    }
    expect(changed).toBeGreaterThan(1000);
  });

  it('a 16-bit photo is filled in 16 bit', async () => {
    const { damaged } = paintDamage(await loadRgb(crops(4)[3]));
    const deep = to16(damaged);
    const r = await stage(deep);
    expect(r.image.bitDepth).toBe(16);
    expect(r.image.rgb).toBeInstanceOf(Uint16Array);
    expect(r.info.pixels).toBeGreaterThan(0);
  });

  it("continues a masked area from its surroundings for refine (the hole filler)", async () => {
    const img = await loadRgb(crops(4)[1]);
    const m = await loadManifest(MODELS);
    const fill = getModel(m, undefined, 'fill');
    const { session } = await sessions.get(MODELS, fill, 'cpu');
    const w = 96;
    const h = 64;
    const n = w * h;
    const planes = new Float32Array(3 * n);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        for (let c = 0; c < 3; c++) planes[c * n + y * w + x] = (img.rgb[3 * ((100 + y) * img.width + 100 + x) + c] / 255) * 2 - 1;
      }
    }
    const before = planes.slice();
    const hole = new Uint8Array(n);
    for (let y = 20; y < 40; y++) for (let x = 30; x < 60; x++) hole[y * w + x] = 1;
    // paint the hole pure red first: the filler must not keep it
    for (let i = 0; i < n; i++) if (hole[i]) [planes[i], planes[n + i], planes[2 * n + i]] = [1, -1, -1];
    await networkHoleFiller(fill, session)(planes, w, h, hole);
    let err = 0;
    for (let i = 0; i < n; i++) {
      if (!hole[i]) expect(planes[i]).toBe(before[i]);
      else err += Math.abs(planes[i] - before[i]) + Math.abs(planes[n + i] - before[n + i]);
    }
    expect(err / (2 * 600)).toBeLessThan(0.25); // a continuation of the photo, not red (error 1..2)
  });

  it('fillMasked refuses a mask of another size', async () => {
    const img = await loadRgb(crops(4)[1]);
    const m = await loadManifest(MODELS);
    const fill = getModel(m, undefined, 'fill');
    const { session } = await sessions.get(MODELS, fill, 'cpu');
    await expect(fillMasked(img, new Uint8Array(10), fill, session)).rejects.toThrow(/mask has 10 pixels/);
  });
});
