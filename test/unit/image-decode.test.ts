// decodeImage / probeImage on real files: every input format, EXIF orientation, ICC and CMYK conversion to sRGB,
// greyscale, 16-bit with alpha, HEIC through heic-decode, and real photos from the shared datasets.
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeImage, probeImage } from '../../src/core/image/decode';
import {
  at,
  crops,
  oldPhotos,
  fromRaw,
  IMAGE_FIXTURES,
  makeTmpDir,
  maxAbsDiff,
  p3ToSrgb,
  pattern,
  pixels,
  pixels16,
  QUADS,
  quadOf,
  quadrants,
  rawOf,
  writeQuadrants,
} from '../helpers/images';

let dir: string;
let cleanup: () => void;
beforeAll(() => ({ dir, cleanup } = makeTmpDir('revive-decode-')));
afterAll(() => cleanup());

const W = 64;
const H = 48;

/** Each quadrant's centre pixel of a decoded image, to compare with QUADS. */
function quadCentres(img: { width: number; height: number; rgb: ArrayLike<number> }) {
  const { width: w, height: h } = img;
  return [
    at(img.rgb, w, Math.floor(w / 4), Math.floor(h / 4)),
    at(img.rgb, w, Math.floor((3 * w) / 4), Math.floor(h / 4)),
    at(img.rgb, w, Math.floor(w / 4), Math.floor((3 * h) / 4)),
    at(img.rgb, w, Math.floor((3 * w) / 4), Math.floor((3 * h) / 4)),
  ];
}

function expectClose(actual: number[], expected: number[], tol: number) {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < actual.length; i++) {
    if (Math.abs(actual[i] - expected[i]) > tol) {
      throw new Error(`[${actual.map((v) => v.toFixed(0))}] is not within ${tol} of [${expected.map((v) => v.toFixed(0))}]`);
    }
  }
}

describe('decode formats', () => {
  it('PNG 8-bit decodes to the exact pixels', async () => {
    const file = path.join(dir, 'p.png');
    const src = pattern(W, H);
    await fromRaw(src, W, H, 3).png().toFile(file);
    const img = await decodeImage(file);
    expect(img.width).toBe(W);
    expect(img.height).toBe(H);
    expect(img.bitDepth).toBe(8);
    expect(img.rgb).toBeInstanceOf(Uint8Array);
    expect(img.rgb.length).toBe(W * H * 3);
    expect(img.alpha).toBeUndefined();
    expect(maxAbsDiff(img.rgb, src)).toBe(0);
    expect(img.meta).toMatchObject({ format: 'png', width: W, height: H, bitDepth: 8, hasAlpha: false, isGrey: false });
  });

  it.each([
    ['jpeg', 'q.jpg', 6],
    ['webp', 'q.webp', 6],
    ['tiff', 'q.tif', 3], // sharp's default TIFF compression is JPEG
    ['gif', 'q.gif', 0],
    ['heif', 'q.avif', 12],
  ])('%s (%s) decodes with the right colours', async (format, name, tol) => {
    const file = path.join(dir, name);
    await writeQuadrants(file, W, H);
    const meta = await probeImage(file);
    expect(meta.format).toBe(format);
    const img = await decodeImage(file);
    expect([img.width, img.height, img.bitDepth]).toEqual([W, H, 8]);
    expect(img.rgb.length).toBe(W * H * 3);
    quadCentres(img).forEach((c, i) => expectClose(c, QUADS[i], tol));
    if (format === 'heif') expect(img.meta.compression).toBe('av1');
  });

  it('TIFF 16-bit keeps 16-bit values exactly', async () => {
    const file = path.join(dir, 't16.tif');
    const src = pixels16(W, H, 3, (x, y) => [x * 1000 + 7, y * 1300 + 3, 65535 - x * y * 11]);
    await fromRaw(src, W, H, 3).toColourspace('rgb16').tiff({ compression: 'lzw' }).toFile(file);
    const img = await decodeImage(file);
    expect(img.bitDepth).toBe(16);
    expect(img.rgb).toBeInstanceOf(Uint16Array);
    expect(maxAbsDiff(img.rgb, src)).toBe(0);
  });

  it('PNG 16-bit with alpha: RGB and alpha survive at 16 bits, alpha returned apart', async () => {
    const file = path.join(dir, 'a16.png');
    const src = pixels16(W, H, 4, (x, y) => [x * 1021 + 1, 40000 + y * 3, 65535 - x * 17, (x * 1031 + y * 977) % 65536]);
    await fromRaw(src, W, H, 4).toColourspace('rgb16').png().toFile(file);
    const img = await decodeImage(file);
    expect(img.bitDepth).toBe(16);
    expect(img.alpha).toBeInstanceOf(Uint16Array);
    expect(img.alpha!.length).toBe(W * H);
    expect(img.rgb.length).toBe(W * H * 3);
    for (let i = 0; i < W * H; i++) {
      for (let c = 0; c < 3; c++) if (img.rgb[i * 3 + c] !== src[i * 4 + c]) throw new Error(`rgb differs at ${i}`);
      if (img.alpha![i] !== src[i * 4 + 3]) throw new Error(`alpha differs at ${i}`);
    }
    // values that need more than 8 bits really are there
    expect(img.rgb.some((v) => v % 257 !== 0)).toBe(true);
    expect(img.meta.hasAlpha).toBe(true);
  });

  it('PNG 8-bit RGBA: alpha apart, fully transparent pixels keep their colour', async () => {
    const file = path.join(dir, 'a8.png');
    const src = pixels(W, H, 4, (x, y) => [x * 3, y * 5, 200, x < 10 ? 0 : 128 + y]);
    await fromRaw(src, W, H, 4).png().toFile(file);
    const img = await decodeImage(file);
    expect(img.alpha).toBeInstanceOf(Uint8Array);
    for (let i = 0; i < W * H; i++) {
      expect(img.alpha![i]).toBe(src[i * 4 + 3]);
      expect([img.rgb[i * 3], img.rgb[i * 3 + 1], img.rgb[i * 3 + 2]]).toEqual([src[i * 4], src[i * 4 + 1], src[i * 4 + 2]]);
    }
  });

  it('GIF: only the first frame of an animation', async () => {
    const file = path.join(dir, 'anim.gif');
    const frame = (c: number[]) => pixels(16, 16, 4, () => [...c, 255]);
    const both = new Uint8Array([...frame([255, 0, 0]), ...frame([0, 0, 255])]);
    await sharp(both, { raw: { width: 16, height: 32, channels: 4, pageHeight: 16 } }).gif().toFile(file);
    const meta = await probeImage(file);
    expect(meta.pages).toBe(2);
    const img = await decodeImage(file);
    expect([img.width, img.height]).toEqual([16, 16]);
    expectClose(at(img.rgb, 16, 8, 8), [255, 0, 0], 0);
  });

  it('multi-page TIFF: the first page', async () => {
    const file = path.join(dir, 'pages.tif');
    const red = pixels(16, 16, 3, () => [250, 10, 10]);
    const blue = pixels(16, 16, 3, () => [10, 10, 250]);
    await sharp(new Uint8Array([...red, ...blue]), { raw: { width: 16, height: 32, channels: 3, pageHeight: 16 } })
      .tiff()
      .toFile(file);
    const img = await decodeImage(file);
    expect([img.width, img.height]).toEqual([16, 16]);
    expectClose(at(img.rgb, 16, 8, 8), [250, 10, 10], 2);
  });
});

describe('EXIF orientation', () => {
  // Where a stored pixel (x, y) of a w x h image is displayed, per the EXIF spec (independent of sharp).
  const display = (o: number, x: number, y: number, w: number, h: number): [number, number] => {
    switch (o) {
      case 1: return [x, y];
      case 2: return [w - 1 - x, y];
      case 3: return [w - 1 - x, h - 1 - y];
      case 4: return [x, h - 1 - y];
      case 5: return [y, x];
      case 6: return [h - 1 - y, x];
      case 7: return [h - 1 - y, w - 1 - x];
      case 8: return [y, w - 1 - x];
      default: throw new Error('bad orientation');
    }
  }; // prettier-ignore

  it('orientation 6: width and height swap, the stored top-left lands top-right', async () => {
    const file = path.join(dir, 'o6.jpg');
    await fromRaw(quadrants(W, H), W, H, 3).withMetadata({ orientation: 6 }).jpeg({ quality: 95 }).toFile(file);
    expect((await sharp(file).metadata()).orientation).toBe(6);
    const meta = await probeImage(file);
    expect([meta.width, meta.height, meta.orientation]).toEqual([H, W, 6]);
    const img = await decodeImage(file);
    expect([img.width, img.height]).toEqual([H, W]);
    // stored top-left (red) is displayed top-right; stored bottom-left (blue) top-left
    expectClose(at(img.rgb, img.width, img.width - 6, 6), QUADS[0], 8);
    expectClose(at(img.rgb, img.width, 6, 6), QUADS[2], 8);
    expectClose(at(img.rgb, img.width, img.width - 6, img.height - 6), QUADS[1], 8);
    expectClose(at(img.rgb, img.width, 6, img.height - 6), QUADS[3], 8);
  });

  it.each(['png', 'webp', 'tiff', 'avif'])('orientation 6 in %s is applied too', async (ext) => {
    const file = path.join(dir, `o6.${ext}`);
    await fromRaw(quadrants(W, H), W, H, 3).withMetadata({ orientation: 6 }).toFormat(ext as 'png').toFile(file);
    const meta = await probeImage(file);
    expect([meta.width, meta.height]).toEqual([H, W]);
    const img = await decodeImage(file);
    expect([img.width, img.height]).toEqual([H, W]);
    expectClose(at(img.rgb, img.width, img.width - 6, 6), QUADS[0], 8);
    expectClose(at(img.rgb, img.width, 6, img.height - 6), QUADS[3], 8);
  });

  it.each([1, 2, 3, 4, 5, 7, 8])('orientation %i puts every quadrant where the EXIF spec says', async (o) => {
    const file = path.join(dir, `o${o}.jpg`);
    await fromRaw(quadrants(W, H), W, H, 3).withMetadata({ orientation: o }).jpeg({ quality: 95 }).toFile(file);
    const img = await decodeImage(file);
    const swap = o >= 5;
    expect([img.width, img.height]).toEqual(swap ? [H, W] : [W, H]);
    for (const [sx, sy] of [[W / 4, H / 4], [(3 * W) / 4, H / 4], [W / 4, (3 * H) / 4], [(3 * W) / 4, (3 * H) / 4]]) {
      const [dx, dy] = display(o, sx, sy, W, H);
      expectClose(at(img.rgb, img.width, dx, dy), QUADS[quadOf(sx, sy, W, H)], 8);
    }
  });
});

describe('colour management', () => {
  const colours: number[][] = [
    [200, 80, 60],
    [90, 160, 110],
    [70, 90, 170],
    [180, 170, 120],
  ];
  const patch = (w: number, h: number) => pixels(w, h, 3, (x, y) => colours[quadOf(x, y, w, h)]);
  // saturated sRGB colours: P3 coordinates differ from them clearly (P3 contains sRGB, so no clipping)
  const vivid: number[][] = [
    [230, 40, 40],
    [40, 200, 60],
    [40, 60, 220],
    [240, 200, 40],
  ];

  it('8-bit Display P3 PNG is converted to sRGB', async () => {
    const file = path.join(dir, 'p3.png');
    // sharp converts these sRGB colours to P3 and tags the file; the stored values are P3 coordinates
    const src = pixels(W, H, 3, (x, y) => vivid[quadOf(x, y, W, H)]);
    await fromRaw(src, W, H, 3).withIccProfile('p3').png().toFile(file);
    const stored = (await rawOf(file, { ignoreIcc: true })).data;
    const meta = await probeImage(file);
    expect(meta.icc?.length).toBeGreaterThan(100);
    const img = await decodeImage(file);
    let maxChange = 0;
    for (let q = 0; q < 4; q++) {
      const [x, y] = [[16, 12], [48, 12], [16, 36], [48, 36]][q];
      const p3 = at(stored, W, x, y);
      const want = p3ToSrgb(p3, 255);
      const got = at(img.rgb, W, x, y);
      expectClose(got, want, 2);
      maxChange = Math.max(maxChange, maxAbsDiff(got, p3));
      // which is (within rounding) the colour sharp converted from
      expectClose(got, vivid[q], 2);
    }
    // and it really changed something (a decoder ignoring the profile would fail here)
    expect(maxChange).toBeGreaterThan(20);
  });

  it('16-bit Display P3 PNG is converted to sRGB at 16 bits', async () => {
    const file = path.join(dir, 'p3-16.png');
    const p3 = pixels16(W, H, 3, (x, y) => colours[quadOf(x, y, W, H)].map((v, c) => v * 257 + ((x + y + c) % 200)));
    // sharp's 16-bit working space is P3, so tagging 16-bit data with 'p3' stores the values unchanged
    await fromRaw(p3, W, H, 3).toColourspace('rgb16').withIccProfile('p3').png().toFile(file);
    const stored = (await rawOf(file, { ignoreIcc: true, depth16: true })).data;
    expect(maxAbsDiff(stored, p3)).toBe(0);
    const meta = await probeImage(file);
    expect(meta.bitDepth).toBe(16);
    expect(meta.icc).toBeDefined();
    const img = await decodeImage(file);
    expect(img.bitDepth).toBe(16);
    let maxErr = 0;
    let maxChange = 0;
    for (let y = 0; y < H; y += 5) {
      for (let x = 0; x < W; x += 5) {
        const src = at(p3, W, x, y);
        const want = p3ToSrgb(src, 65535);
        const got = at(img.rgb, W, x, y);
        maxErr = Math.max(maxErr, maxAbsDiff(got, want));
        maxChange = Math.max(maxChange, maxAbsDiff(got, src));
      }
    }
    expect(maxErr).toBeLessThan(0.004 * 65535); // within 1 step of 8-bit
    expect(maxChange).toBeGreaterThan(20 * 257);
    // fine 16-bit steps survive the conversion (not quantised to 8 bits)
    expect(Array.from(img.rgb).some((v) => v % 257 !== 0)).toBe(true);
  });

  it('CMYK JPEG is converted to RGB that looks like the original', async () => {
    const file = path.join(dir, 'cmyk.jpg');
    await fromRaw(patch(W, H), W, H, 3).toColourspace('cmyk').jpeg({ quality: 95 }).toFile(file);
    const m = await sharp(file).metadata();
    expect([m.space, m.channels]).toEqual(['cmyk', 4]);
    const meta = await probeImage(file);
    expect(meta.space).toBe('cmyk');
    const img = await decodeImage(file);
    expect(img.rgb.length).toBe(W * H * 3);
    // through a CMYK profile and back is not exact (profile gamut, perceptual intent); misread CMYK (as RGB, or
    // inverted) would be off by 100 and more
    quadCentres(img).forEach((c, i) => expectClose(c, colours[i], 25));
  });
});

describe('greyscale', () => {
  it('grey PNG: 3 equal channels, isGrey set', async () => {
    const file = path.join(dir, 'g.png');
    const g = pixels(W, H, 1, (x, y) => [(x * 4 + y) % 256]);
    await fromRaw(g, W, H, 1).toColourspace('b-w').png().toFile(file);
    const img = await decodeImage(file);
    expect(img.meta.isGrey).toBe(true);
    for (let i = 0; i < W * H; i++) {
      expect([img.rgb[i * 3], img.rgb[i * 3 + 1], img.rgb[i * 3 + 2]]).toEqual([g[i], g[i], g[i]]);
    }
  });

  it('grey JPEG and 16-bit grey PNG with alpha', async () => {
    const jpg = path.join(dir, 'g.jpg');
    await fromRaw(pixels(W, H, 1, (x) => [x * 4]), W, H, 1).toColourspace('b-w').jpeg().toFile(jpg);
    const a = await decodeImage(jpg);
    expect(a.meta.isGrey).toBe(true);
    expect(a.meta.space).toBe('b-w');
    for (let i = 0; i < W * H; i++) expect(a.rgb[i * 3]).toBe(a.rgb[i * 3 + 2]);

    const png = path.join(dir, 'ga16.png');
    const src = pixels16(W, H, 2, (x, y) => [x * 1000 + y, 65535 - y * 100]);
    await fromRaw(src, W, H, 2).toColourspace('grey16').png().toFile(png);
    const b = await decodeImage(png);
    expect(b.meta.isGrey).toBe(true);
    expect(b.bitDepth).toBe(16);
    for (let i = 0; i < W * H; i++) {
      expect(b.rgb[i * 3]).toBe(src[i * 2]);
      expect(b.rgb[i * 3 + 1]).toBe(src[i * 2]);
      expect(b.alpha![i]).toBe(src[i * 2 + 1]);
    }
  });
});

describe('HEIC (heic-decode)', () => {
  it('sharp cannot decode HEVC itself here, so the WebAssembly path is the one under test', async () => {
    const file = path.join(IMAGE_FIXTURES, 'quadrants.heic');
    const m = await sharp(file).metadata();
    expect([m.format, m.compression]).toEqual(['heif', 'hevc']);
    const sharpDecodes = await sharp(file)
      .raw()
      .toBuffer()
      .then(() => true)
      .catch(() => false);
    // if a future sharp decodes HEVC, this test tells us (the decoder would still work, just slower than needed)
    expect(sharpDecodes).toBe(false);
  });

  it('quadrants.heic decodes with the right size and colours', async () => {
    const img = await decodeImage(path.join(IMAGE_FIXTURES, 'quadrants.heic'));
    expect([img.width, img.height, img.bitDepth]).toEqual([64, 48, 8]);
    expect(img.meta).toMatchObject({ format: 'heif', compression: 'hevc', hasAlpha: false });
    expect(img.alpha).toBeUndefined();
    expect(img.rgb.length).toBe(64 * 48 * 3);
    // the colours make-heic.mjs wrote (HEVC is lossy: a small tolerance)
    const want = [[200, 60, 50], [60, 170, 80], [50, 70, 190], [230, 230, 230]];
    quadCentres(img).forEach((c, i) => expectClose(c, want[i], 6));
  });

  it('p3-alpha.heic: alpha kept apart and the P3 profile converted to sRGB', async () => {
    const img = await decodeImage(path.join(IMAGE_FIXTURES, 'p3-alpha.heic'));
    expect(img.meta.icc).toBeDefined();
    expect(img.alpha).toBeInstanceOf(Uint8Array);
    expect(img.alpha![10 * 64 + 4]).toBe(0); // the left 16 columns are transparent
    expect(img.alpha![10 * 64 + 40]).toBe(255);
    // stored as P3 coordinates of these sRGB colours; decoded back to about the sRGB values
    const want = [[200, 60, 50], [60, 170, 80], [50, 70, 190], [230, 230, 230]];
    quadCentres(img).forEach((c, i) => expectClose(c, want[i], 7));
  });
});

describe('real photos (test/helpers/photos.ts, from samples/)', () => {
  const old = oldPhotos();
  const cbsd = crops(3);

  it('old photos decode to what sharp reads, alpha and density kept', async () => {
    for (const file of old) {
      const img = await decodeImage(file);
      const ref = await sharp(file).raw().toBuffer({ resolveWithObject: true });
      const ch = ref.info.channels;
      expect([img.width, img.height]).toEqual([ref.info.width, ref.info.height]);
      expect(!!img.alpha).toBe(ch === 4);
      const n = img.width * img.height;
      for (let i = 0; i < n; i += 97) {
        expect(img.rgb[i * 3]).toBe(ref.data[i * ch]);
        expect(img.rgb[i * 3 + 2]).toBe(ref.data[i * ch + 2]);
        if (img.alpha) expect(img.alpha[i]).toBe(ref.data[i * ch + 3]);
      }
      const m = await sharp(file).metadata();
      expect(img.meta.density).toBe(m.density);
    }
  });

  it('CBSD68-sized crops decode exactly', async () => {
    for (const file of cbsd) {
      const img = await decodeImage(file);
      const ref = await sharp(file).removeAlpha().raw().toBuffer();
      expect(maxAbsDiff(img.rgb, ref)).toBe(0);
    }
  });
});
