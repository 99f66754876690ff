// "Adapt to each photo" (src/core/restore/amount.ts): the photo statistics the regressor reads measure what they say
// on real photos (a known noise level is found again, JPEG blocking is seen, 16 bit reads as 8 bit), and the
// regressor is evaluated as training/fit_amount.py defines it. The shipped regressors: test/integration/restore-adapt.
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { AMOUNT_FEATURES, photoFeatures, predictAmount } from '../../src/core/restore/amount';
import type { AmountModel } from '../../src/shared/types';
import { crops, loadRgb, to16, type RawImage } from './restore-helpers';

const f = (img: RawImage, name: (typeof AMOUNT_FEATURES)[number]) => photoFeatures(img)[AMOUNT_FEATURES.indexOf(name)];
const level = (v: number) => Math.expm1(v); // the noise features are log(1 + sigma in levels)

/** A real photo, area-downscaled 4x: the scan's grain averages away, what is left is a clean photo. */
async function cleanPhoto(): Promise<RawImage> {
  const { data, info } = await sharp(crops(1)[0]).removeAlpha().resize({ width: 240, kernel: 'cubic' }).raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, bitDepth: 8, rgb: new Uint8Array(data) };
}

function withNoise(img: RawImage, sigma: number, seed = 5): RawImage {
  let s = seed;
  const rand = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 4294967296);
  const gauss = () => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
  const rgb = new Uint8Array(img.rgb.length);
  for (let i = 0; i < rgb.length; i++) rgb[i] = Math.max(0, Math.min(255, Math.round(img.rgb[i] + sigma * gauss())));
  return { ...img, rgb };
}

async function jpeg(img: RawImage, quality: number): Promise<RawImage> {
  const buf = await sharp(Buffer.from(img.rgb), { raw: { width: img.width, height: img.height, channels: 3 } }).jpeg({ quality }).toBuffer();
  const { data } = await sharp(buf).raw().toBuffer({ resolveWithObject: true });
  return { ...img, rgb: new Uint8Array(data) };
}

describe('photo features', () => {
  it('find a known noise level again on a real photo, in luma and in colour', async () => {
    const clean = await cleanPhoto();
    const base = level(f(clean, 'noise1_q10'));
    expect(base).toBeLessThan(1.5);
    for (const sigma of [4, 10, 20]) {
      const noisy = withNoise(clean, sigma);
      // the quietest tenth of the blocks: the photo's own texture adds little there
      expect(level(f(noisy, 'noise1_q10'))).toBeGreaterThan(0.75 * sigma * Math.sqrt(0.299 ** 2 + 0.587 ** 2 + 0.114 ** 2));
      expect(level(f(noisy, 'chroma1_q10'))).toBeGreaterThan(0.8 * sigma);
      expect(level(f(noisy, 'chroma1_q10'))).toBeLessThan(1.2 * sigma + base);
    }
    // more noise, higher noise levels, at full size and at half size
    const a = photoFeatures(withNoise(clean, 5));
    const b = photoFeatures(withNoise(clean, 15));
    for (const name of ['noise1_q10', 'noise1_q25', 'noise1_q50', 'noise2_q10', 'chroma1_q10', 'chroma2_q10'] as const) {
      const i = AMOUNT_FEATURES.indexOf(name);
      expect(b[i]).toBeGreaterThan(a[i]);
    }
  });

  it('see JPEG blocking, and read a 16-bit photo as the same 8-bit one', async () => {
    const clean = await cleanPhoto();
    expect(f(await jpeg(clean, 10), 'blocking')).toBeGreaterThan(f(clean, 'blocking') + 0.2);
    const a = photoFeatures(clean);
    const b = photoFeatures(to16(clean));
    b.forEach((v, i) => expect(v).toBeCloseTo(a[i], 9));
  });

  it('give finite numbers for tiny, flat and clipped photos', async () => {
    const tiny: RawImage = { width: 5, height: 3, bitDepth: 8, rgb: new Uint8Array(45).fill(80) };
    expect(photoFeatures(tiny)).toEqual(AMOUNT_FEATURES.map(() => 0));
    const white: RawImage = { width: 64, height: 40, bitDepth: 8, rgb: new Uint8Array(64 * 40 * 3).fill(255) };
    const v = photoFeatures(white);
    expect(v).toHaveLength(AMOUNT_FEATURES.length);
    expect(v.every(Number.isFinite)).toBe(true);
    expect(v[AMOUNT_FEATURES.indexOf('noise1_q50')]).toBe(0);
    const big = await loadRgb(crops(1)[0]);
    expect(photoFeatures(big).every(Number.isFinite)).toBe(true);
  });
});

describe('predictAmount', () => {
  const model: AmountModel = {
    features: [...AMOUNT_FEATURES],
    mean: AMOUNT_FEATURES.map(() => 1),
    std: AMOUNT_FEATURES.map(() => 2),
    w1: [AMOUNT_FEATURES.map((_, i) => (i === 1 ? 1 : 0)), AMOUNT_FEATURES.map(() => 0.1)],
    b1: [0.5, -0.2],
    w2: [2, -1],
    b2: 0.3,
  };

  it('is sigmoid(w2 . tanh(w1 x + b1) + b2) of the standardised features, and 1 without a regressor', () => {
    const x = AMOUNT_FEATURES.map((_, i) => i / 4);
    const z = x.map((v) => (v - 1) / 2);
    const h0 = Math.tanh(z[1] + 0.5);
    const h1 = Math.tanh(0.1 * z.reduce((a, v) => a + v, 0) - 0.2);
    expect(predictAmount(x, model)).toBeCloseTo(1 / (1 + Math.exp(-(2 * h0 - h1 + 0.3))), 12);
    expect(predictAmount(x, undefined)).toBe(1);
  });
});
