// encodeImage / encodePreview / resolveFormat: format round trips, 16-bit, grey, alpha, metadata (EXIF with
// orientation reset, ICC, DPI), atomic writes and their failures (nothing half-written, no temp file left).
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeImage } from '../../src/core/image/decode';
import {
  encodeImage,
  encodePreview,
  encodeToBuffer,
  formatForPath,
  outputExtension,
  resolveFormat,
  srgbProfile,
} from '../../src/core/image/encode';
import { readExifOrientation } from '../../src/core/image/exif';
import { type DecodedImage, type EncodeFormat, ImageError } from '../../src/core/image/types';
import {
  at,
  fromRaw,
  jpegAppSegments,
  makeTmpDir,
  maxAbsDiff,
  meanAbsDiff,
  OLD_PHOTOS,
  pattern,
  pixels,
  pixels16,
  pngChunks,
  QUADS,
  quadrants,
  tempLeftovers,
  webpChunks,
} from '../helpers/images';

let dir: string;
let cleanup: () => void;
beforeAll(() => ({ dir, cleanup } = makeTmpDir('revive-encode-')));
afterAll(() => cleanup());

const W = 64;
const H = 48;
let n = 0;
const out = (ext: string) => path.join(dir, `out-${++n}${ext}`);

async function failure(p: Promise<unknown>): Promise<ImageError> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  if (!(e instanceof ImageError)) throw new Error(`expected an ImageError, got ${e === null ? 'success' : String(e)}`);
  return e;
}

async function decoded(file: string, write: (f: string) => Promise<unknown>): Promise<DecodedImage> {
  await write(file);
  return decodeImage(file);
}

describe('round trips', () => {
  it.each([
    ['png', 0, 0],
    ['tiff', 0, 0],
    ['jpeg', 3, 20],
    ['webp', 4, 40], // lossy with 4:2:0 chroma: the pattern's ripple costs the most
    ['avif', 5, 40],
  ] as [EncodeFormat, number, number][])('%s: encode then decode gives the image back', async (format, meanTol, maxTol) => {
    const src = await decoded(path.join(dir, `src-${format}.png`), (f) => fromRaw(pattern(W, H), W, H, 3).png().toFile(f));
    const file = out(outputExtension(format));
    const written = await encodeImage(src, file, { format, quality: 95 });
    expect(written).toBe(path.resolve(file));
    const m = await sharp(file).metadata();
    expect(m.format).toBe(format === 'avif' ? 'heif' : format);
    expect([m.width, m.height]).toEqual([W, H]);
    const back = await decodeImage(file);
    expect(meanAbsDiff(back.rgb, src.rgb)).toBeLessThanOrEqual(meanTol);
    expect(maxAbsDiff(back.rgb, src.rgb)).toBeLessThanOrEqual(maxTol);
    expect(tempLeftovers(dir)).toEqual([]);
  });

  it('16-bit PNG and TIFF with alpha keep every 16-bit value', async () => {
    const raw = pixels16(W, H, 4, (x, y) => [x * 1021 + 1, 40000 + y * 7, 65535 - x * y * 9, (x * 1031 + y * 977) % 65536]);
    const src = await decoded(path.join(dir, 'src16a.png'), (f) => fromRaw(raw, W, H, 4).toColourspace('rgb16').png().toFile(f));
    expect(src.bitDepth).toBe(16);
    for (const format of ['png', 'tiff'] as const) {
      const file = out(outputExtension(format));
      await encodeImage(src, file, { format });
      const m = await sharp(file).metadata();
      expect([m.depth, m.channels, m.hasAlpha]).toEqual(['ushort', 4, true]);
      const back = await decodeImage(file);
      expect(back.bitDepth).toBe(16);
      expect(maxAbsDiff(back.rgb, src.rgb)).toBe(0);
      expect(maxAbsDiff(back.alpha!, src.alpha!)).toBe(0);
    }
    // 8-bit formats get the top 8 bits
    const jpg = out('.webp');
    await encodeImage(src, jpg, { format: 'webp', quality: 100 });
    const back = await decodeImage(jpg);
    expect(back.bitDepth).toBe(8);
    expect(meanAbsDiff(back.alpha!, Array.from(src.alpha!, (v) => v / 257))).toBeLessThan(1.5);
  });

  it('alpha is put back (PNG, WebP) and flattened onto white for JPEG', async () => {
    const raw = pixels(W, H, 4, (x, y) => [...QUADS[(y < H / 2 ? 0 : 2) + (x < W / 2 ? 0 : 1)], x < 8 ? 0 : 255]);
    const src = await decoded(path.join(dir, 'src-a.png'), (f) => fromRaw(raw, W, H, 4).png().toFile(f));
    const png = out('.png');
    await encodeImage(src, png, { format: 'png' });
    const p = await decodeImage(png);
    expect(maxAbsDiff(p.alpha!, src.alpha!)).toBe(0);
    expect(maxAbsDiff(p.rgb, src.rgb)).toBe(0);
    const webp = out('.webp');
    await encodeImage(src, webp, { format: 'webp', quality: 90 });
    const w = await decodeImage(webp);
    expect(maxAbsDiff(w.alpha!, src.alpha!)).toBeLessThanOrEqual(2);
    const jpg = out('.jpg');
    await encodeImage(src, jpg, { format: 'jpeg', quality: 95 });
    const j = await decodeImage(jpg);
    expect(j.alpha).toBeUndefined();
    expect(Math.min(...at(j.rgb, W, 2, 10))).toBeGreaterThan(245); // transparent -> white
    expect(maxAbsDiff(at(j.rgb, W, 20, 10), QUADS[0])).toBeLessThan(8);
  });
});

describe('every format x depth x grey x alpha', () => {
  const w = 32;
  const h = 24;
  const combos: [EncodeFormat, 8 | 16, boolean, boolean][] = [];
  for (const f of ['png', 'jpeg', 'webp', 'tiff', 'avif'] as EncodeFormat[]) {
    for (const d of [8, 16] as const) for (const g of [false, true]) for (const a of [false, true]) combos.push([f, d, g, a]);
  }
  it.each(combos)('%s from %i-bit, grey %s, alpha %s', async (format, depth, grey, alpha) => {
    const max = depth === 16 ? 65535 : 255;
    const n = w * h;
    const rgb = depth === 16 ? new Uint16Array(3 * n) : new Uint8Array(3 * n);
    const a = depth === 16 ? new Uint16Array(n) : new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const x = i % w;
      const y = Math.floor(i / w);
      const v = [x / (w - 1), y / (h - 1), 0.5];
      for (let c = 0; c < 3; c++) rgb[i * 3 + c] = Math.round((grey ? v[0] : v[c]) * max);
      a[i] = x < 4 ? 0 : max;
    }
    const img: DecodedImage = {
      width: w,
      height: h,
      bitDepth: depth,
      rgb,
      ...(alpha ? { alpha: a } : {}),
      meta: { format: 'png', width: w, height: h, bitDepth: depth, hasAlpha: alpha, isGrey: grey, space: 'srgb' },
    };
    const file = out(outputExtension(format));
    await encodeImage(img, file, { format, quality: 95 });
    const back = await decodeImage(file);
    expect([back.width, back.height]).toEqual([w, h]);
    expect(back.bitDepth).toBe(depth === 16 && (format === 'png' || format === 'tiff') ? 16 : 8);
    const scale = back.bitDepth === 16 ? 1 : 255 / max;
    // compare opaque pixels (JPEG flattens the transparent ones onto white)
    let err = 0;
    let cnt = 0;
    for (let i = 0; i < n; i++) {
      if (i % w < 6) continue;
      for (let c = 0; c < 3; c++) err += Math.abs(back.rgb[i * 3 + c] - rgb[i * 3 + c] * scale);
      cnt += 3;
    }
    const mean = err / cnt / (back.bitDepth === 16 ? 257 : 1);
    expect(mean).toBeLessThan(format === 'png' || format === 'tiff' ? 0.01 : 4);
    expect(!!back.alpha).toBe(alpha && format !== 'jpeg');
    if (back.alpha) expect([back.alpha[0], back.alpha[w - 1]]).toEqual([0, back.bitDepth === 16 ? 65535 : 255]);
    if (alpha && format === 'jpeg') expect(Math.min(...at(back.rgb, w, 1, 5))).toBeGreaterThan(245);
    if (grey) {
      const m = await sharp(file).metadata();
      const oneChannel = format === 'png' || format === 'jpeg' || format === 'tiff';
      if (oneChannel) expect(m.channels).toBe(alpha && format !== 'jpeg' ? 2 : 1);
      for (let i = 0; i < n; i += 7) expect(Math.abs(back.rgb[i * 3] - back.rgb[i * 3 + 2])).toBeLessThanOrEqual(2 * (back.bitDepth === 16 ? 257 : 1));
    }
  });
});

describe('greyscale out', () => {
  it('grey in gives single-channel PNG, JPEG and TIFF, and equal channels in WebP', async () => {
    const g = pixels(W, H, 1, (x, y) => [(x * 3 + y * 2) % 256]);
    const src = await decoded(path.join(dir, 'g.png'), (f) => fromRaw(g, W, H, 1).toColourspace('b-w').png().toFile(f));
    expect(src.meta.isGrey).toBe(true);
    for (const format of ['png', 'jpeg', 'tiff'] as const) {
      const file = out(outputExtension(format));
      await encodeImage(src, file, { format, quality: 95 });
      const m = await sharp(file).metadata();
      expect(m.channels).toBe(1);
      expect(m.space).toBe('b-w');
      const back = await decodeImage(file);
      expect(back.meta.isGrey).toBe(true);
      expect(maxAbsDiff(back.rgb, src.rgb)).toBeLessThanOrEqual(format === 'jpeg' ? 6 : 0);
    }
    const webp = out('.webp');
    await encodeImage(src, webp, { format: 'webp', quality: 95 });
    const w = await decodeImage(webp);
    for (let i = 0; i < W * H; i++) {
      expect(Math.abs(w.rgb[i * 3] - w.rgb[i * 3 + 1])).toBeLessThanOrEqual(2);
      expect(Math.abs(w.rgb[i * 3 + 2] - w.rgb[i * 3 + 1])).toBeLessThanOrEqual(2);
    }
  });

  it('a grey photo that came back slightly tinted is written as grey (luma)', async () => {
    const g = pixels(W, H, 1, (x) => [x * 4]);
    const src = await decoded(path.join(dir, 'g2.png'), (f) => fromRaw(g, W, H, 1).toColourspace('b-w').png().toFile(f));
    const tinted: DecodedImage = { ...src, rgb: new Uint8Array(src.rgb) };
    for (let i = 0; i < W * H; i++) {
      tinted.rgb[i * 3] = Math.min(255, tinted.rgb[i * 3] + 6);
      tinted.rgb[i * 3 + 2] = Math.max(0, tinted.rgb[i * 3 + 2] - 6);
    }
    const file = out('.png');
    await encodeImage(tinted, file, { format: 'png' });
    expect((await sharp(file).metadata()).channels).toBe(1);
    const { data } = await sharp(file).toColourspace('b-w').raw().toBuffer({ resolveWithObject: true });
    for (let i = 0; i < W * H; i++) {
      const [r, gg, b] = [tinted.rgb[i * 3], tinted.rgb[i * 3 + 1], tinted.rgb[i * 3 + 2]];
      expect(Math.abs(data[i] - (0.2126 * r + 0.7152 * gg + 0.0722 * b))).toBeLessThanOrEqual(0.5 + 1e-9);
    }
  });

  it('16-bit grey with alpha stays 16-bit grey + alpha in PNG', async () => {
    const raw = pixels16(W, H, 2, (x, y) => [x * 1000 + y, 65535 - y * 1000]);
    const src = await decoded(path.join(dir, 'ga16.png'), (f) => fromRaw(raw, W, H, 2).toColourspace('grey16').png().toFile(f));
    const file = out('.png');
    await encodeImage(src, file, { format: 'png' });
    const m = await sharp(file).metadata();
    expect([m.channels, m.depth, m.space]).toEqual([2, 'ushort', 'grey16']);
    const { data, info } = await sharp(file).toColourspace('grey16').raw({ depth: 'ushort' }).toBuffer({ resolveWithObject: true });
    expect(info.channels).toBe(2);
    const u16 = new Uint16Array(data.buffer, data.byteOffset, data.length / 2);
    expect(maxAbsDiff(u16, raw)).toBe(0);
  });
});

describe('metadata', () => {
  async function orientedJpeg(): Promise<string> {
    const file = path.join(dir, `o6-${++n}.jpg`);
    await fromRaw(quadrants(W, H), W, H, 3)
      .withExif({ IFD0: { Make: 'ReviveTestCam', Model: 'Box Brownie', Software: 'scan-1952' } })
      .withMetadata({ orientation: 6, density: 300 })
      .jpeg({ quality: 95 })
      .toFile(file);
    const m = await sharp(file).metadata();
    expect([m.orientation, m.density]).toEqual([6, 300]);
    expect(m.exif!.includes('ReviveTestCam')).toBe(true);
    return file;
  }

  it.each(['jpeg', 'png', 'webp'] as const)('%s keeps EXIF with orientation 1: the upright image is not turned again', async (format) => {
    const src = await decodeImage(await orientedJpeg());
    expect([src.width, src.height]).toEqual([H, W]);
    const file = out(outputExtension(format));
    await encodeImage(src, file, { format, quality: 95 });
    const m = await sharp(file).metadata();
    expect(m.exif).toBeDefined();
    expect(m.exif!.includes('ReviveTestCam')).toBe(true);
    expect(m.exif!.includes('Box Brownie')).toBe(true);
    expect(readExifOrientation(m.exif)).toBe(1);
    expect(m.orientation ?? 1).toBe(1);
    const back = await decodeImage(file);
    expect([back.width, back.height]).toEqual([H, W]);
    expect(maxAbsDiff(at(back.rgb, H, H - 6, 6), at(src.rgb, H, H - 6, 6))).toBeLessThan(10);
    // exactly one EXIF block
    const buf = fs.readFileSync(file);
    if (format === 'jpeg') expect(jpegAppSegments(buf).filter((s) => s.marker === 0xe1 && s.id.startsWith('Exif')).length).toBe(1);
    if (format === 'png') expect(pngChunks(buf).filter((c) => c === 'eXIf').length).toBe(1);
    if (format === 'webp') expect(webpChunks(buf).filter((c) => c === 'EXIF').length).toBe(1);
  });

  it('TIFF and AVIF outputs are upright too (no EXIF there, so nothing to turn them again)', async () => {
    const src = await decodeImage(await orientedJpeg());
    for (const format of ['tiff', 'avif'] as const) {
      const file = out(outputExtension(format));
      await encodeImage(src, file, { format, quality: 90 });
      const back = await decodeImage(file);
      expect([back.width, back.height]).toEqual([H, W]);
      expect(back.meta.orientation ?? 1).toBe(1);
    }
  });

  it('DPI is kept (JPEG, PNG, TIFF)', async () => {
    const src = await decodeImage(await orientedJpeg());
    expect(src.meta.density).toBe(300);
    for (const format of ['jpeg', 'png', 'tiff'] as const) {
      const file = out(outputExtension(format));
      await encodeImage(src, file, { format });
      expect(Math.round((await sharp(file).metadata()).density!)).toBe(300);
    }
  });

  it('a colour-managed source (P3) is written tagged sRGB, without converting twice', async () => {
    const colours = [
      [230, 40, 40],
      [40, 200, 60],
      [40, 60, 220],
      [240, 200, 40],
    ];
    const vivid = pixels(W, H, 3, (x, y) => colours[(y < H / 2 ? 0 : 2) + (x < W / 2 ? 0 : 1)]);
    const src = await decoded(path.join(dir, 'p3.png'), (f) => fromRaw(vivid, W, H, 3).withIccProfile('p3').png().toFile(f));
    expect(src.meta.icc).toBeDefined();
    const srgb = await srgbProfile();
    for (const format of ['png', 'jpeg', 'webp', 'tiff'] as const) {
      const file = out(outputExtension(format));
      await encodeImage(src, file, { format, quality: 98 });
      const m = await sharp(file).metadata();
      expect(m.icc, format).toBeDefined();
      expect(Buffer.compare(m.icc!, srgb), format).toBe(0);
      const back = await decodeImage(file);
      expect(meanAbsDiff(back.rgb, src.rgb), format).toBeLessThan(format === 'webp' ? 4 : 2);
    }
  });

  it('16-bit P3 source: PNG out tagged sRGB and the 16-bit values come back', async () => {
    const raw = pixels16(W, H, 3, (x, y) => [20000 + x * 500, 30000 + y * 300, 50000 - x * y * 5]);
    const src = await decoded(path.join(dir, 'p3-16.png'), (f) =>
      fromRaw(raw, W, H, 3).toColourspace('rgb16').withIccProfile('p3').png().toFile(f),
    );
    const file = out('.png');
    await encodeImage(src, file, { format: 'png' });
    const m = await sharp(file).metadata();
    expect(m.depth).toBe('ushort');
    expect(Buffer.compare(m.icc!, await srgbProfile())).toBe(0);
    // the file holds exactly the decoded sRGB values
    const stored = await sharp(file, { ignoreIcc: true }).toColourspace('rgb16').raw({ depth: 'ushort' }).toBuffer();
    expect(maxAbsDiff(new Uint16Array(stored.buffer, stored.byteOffset, stored.length / 2), src.rgb)).toBe(0);
    // and decoding it gives them back exactly: an sRGB-tagged file is not sent through the colour engine
    const back = await decodeImage(file);
    expect(maxAbsDiff(back.rgb, src.rgb)).toBe(0);
  });

  it('an untagged source stays untagged; CMYK is tagged sRGB and written as RGB', async () => {
    const plain = await decoded(path.join(dir, 'plain.png'), (f) => fromRaw(pattern(W, H), W, H, 3).png().toFile(f));
    const a = out('.png');
    await encodeImage(plain, a, { format: 'png' });
    expect(pngChunks(fs.readFileSync(a))).not.toContain('iCCP');
    expect((await sharp(a).metadata()).icc).toBeUndefined();

    const cmyk = await decoded(path.join(dir, 'cmyk.jpg'), (f) =>
      fromRaw(pattern(W, H), W, H, 3).toColourspace('cmyk').jpeg({ quality: 95 }).toFile(f),
    );
    const b = out('.jpg');
    await encodeImage(cmyk, b, { format: 'jpeg', quality: 95 });
    const m = await sharp(b).metadata();
    expect([m.space, m.channels]).toEqual(['srgb', 3]);
    expect(Buffer.compare(m.icc!, await srgbProfile())).toBe(0);
  });

  const oldPhoto = path.join(OLD_PHOTOS, 'a.png');
  it('a real old photo with alpha and 1200 dpi keeps both', async () => {
    const file = oldPhoto;
    const src = await decodeImage(file);
    expect(src.alpha).toBeDefined();
    const o = out('.png');
    await encodeImage(src, o, { format: 'png', inputPath: file });
    const m = await sharp(o).metadata();
    expect(Math.round(m.density!)).toBe(Math.round((await sharp(file).metadata()).density!));
    const back = await decodeImage(o);
    expect(maxAbsDiff(back.rgb, src.rgb)).toBe(0);
    expect(maxAbsDiff(back.alpha!, src.alpha!)).toBe(0);
  });
});

describe('atomic writes', () => {
  let img: DecodedImage;
  beforeAll(async () => {
    img = await decoded(path.join(dir, 'w.png'), (f) => fromRaw(pattern(W, H), W, H, 3).png().toFile(f));
  });
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

  // As an ordinary user a chmod 0o555 folder refuses writes. Tests often run as root (CI containers), where chmod
  // does not stop writes; there sysfs refuses file creation even to root (EACCES), which exercises the same path.
  it('a folder that refuses writes: "permission denied", nothing written', async () => {
    let ro: string;
    let restore = () => {};
    if (isRoot) {
      expect(process.platform).toBe('linux');
      ro = '/sys/kernel';
    } else {
      ro = path.join(dir, 'ro');
      fs.mkdirSync(ro);
      fs.chmodSync(ro, 0o555);
      restore = () => fs.chmodSync(ro, 0o755);
    }
    const before = fs.readdirSync(ro);
    try {
      const target = path.join(ro, 'revive-test.png');
      const e = await failure(encodeImage(img, target, { format: 'png' }));
      expect(e.code).toBe('unwritable');
      expect(e.message).toBe(`cannot write to ${ro}: permission denied.`);
      expect(fs.readdirSync(ro)).toEqual(before);
      expect(fs.existsSync(target)).toBe(false);
    } finally {
      restore();
    }
  });

  it('a parent that is a file, or a folder that does not exist: clear message, nothing written', async () => {
    const file = path.join(dir, 'not-a-folder');
    fs.writeFileSync(file, 'x');
    const e = await failure(encodeImage(img, path.join(file, 'x.png'), { format: 'png' }));
    expect(e.code).toBe('unwritable');
    expect(e.message).toBe(`cannot write to ${file}: part of that path is a file, not a folder.`);
    expect(fs.readFileSync(file, 'utf8')).toBe('x');
    const missing = path.join(dir, 'nope', 'deeper');
    const e2 = await failure(encodeImage(img, path.join(missing, 'x.png'), { format: 'png' }));
    expect(e2.message).toBe(`cannot write to ${missing}: the folder does not exist.`);
    expect(fs.existsSync(path.join(dir, 'nope'))).toBe(false);
  });

  it('a failure after the temp file was written (output is a folder) removes the temp file', async () => {
    const sub = path.join(dir, 'clash');
    fs.mkdirSync(sub);
    const target = path.join(sub, 'photo.png');
    fs.mkdirSync(target);
    fs.writeFileSync(path.join(target, 'keep.txt'), 'k');
    const e = await failure(encodeImage(img, target, { format: 'png' }));
    expect(e.code).toBe('unwritable');
    expect(e.message).toContain(target);
    expect(fs.readdirSync(sub)).toEqual(['photo.png']);
    expect(fs.readFileSync(path.join(target, 'keep.txt'), 'utf8')).toBe('k');
  });

  it('an encoder failure (too wide for WebP) removes the temp file and says so', async () => {
    const wide: DecodedImage = { ...img, width: 17000, height: 1, rgb: new Uint8Array(17000 * 3), alpha: undefined };
    const sub = path.join(dir, 'enc-fail');
    fs.mkdirSync(sub);
    const e = await failure(encodeImage(wide, path.join(sub, 'wide.webp'), { format: 'webp' }));
    expect(e.code).toBe('unwritable');
    expect(e.message).toMatch(/could not be encoded as WebP/);
    expect(fs.readdirSync(sub)).toEqual([]);
  });

  it('replaces an existing output whole, leaving no temp file', async () => {
    const sub = path.join(dir, 'replace');
    fs.mkdirSync(sub);
    const target = path.join(sub, 'r.png');
    fs.writeFileSync(target, 'old contents');
    await encodeImage(img, target, { format: 'png' });
    expect((await sharp(target).metadata()).format).toBe('png');
    expect(fs.readdirSync(sub)).toEqual(['r.png']);
  });

  it('never writes over the input: same path, another spelling, a symlink, a hard link', async () => {
    const sub = path.join(dir, 'orig');
    fs.mkdirSync(sub);
    const input = path.join(sub, 'photo.png');
    await fromRaw(pattern(W, H), W, H, 3).png().toFile(input);
    const bytes = fs.readFileSync(input);
    const src = await decodeImage(input);
    fs.symlinkSync(input, path.join(sub, 'link.png'));
    fs.linkSync(input, path.join(sub, 'hard.png'));
    fs.symlinkSync(sub, path.join(dir, 'orig-alias'));
    for (const target of [
      input,
      path.join(sub, '..', 'orig', '.', 'photo.png'),
      path.join(sub, 'link.png'),
      path.join(sub, 'hard.png'),
      path.join(dir, 'orig-alias', 'photo.png'),
    ]) {
      const e = await failure(encodeImage(src, target, { format: 'png', inputPath: input }));
      expect(e.code).toBe('same-as-input');
      expect(e.message).toContain(input);
    }
    expect(fs.readFileSync(input).equals(bytes)).toBe(true);
    expect(tempLeftovers(sub)).toEqual([]);
    // a different name next to it is fine
    await encodeImage(src, path.join(sub, 'photo-restored.png'), { format: 'png', inputPath: input });
  });
});

describe('formats', () => {
  it('resolveFormat: explicit formats kept, "same" follows the input, unencodable inputs mapped', () => {
    expect(resolveFormat('/a/x.heic', 'png')).toBe('png');
    expect(resolveFormat('/a/x.png', 'jpeg')).toBe('jpeg');
    const same: [string, EncodeFormat][] = [
      ['x.jpg', 'jpeg'],
      ['x.JPEG', 'jpeg'],
      ['x.png', 'png'],
      ['x.tif', 'tiff'],
      ['x.tiff', 'tiff'],
      ['x.webp', 'webp'],
      ['x.avif', 'avif'],
      ['x.gif', 'png'],
      ['x.heic', 'jpeg'],
      ['x.HEIF', 'jpeg'],
    ];
    for (const [file, want] of same) expect(resolveFormat(file, 'same'), file).toBe(want);
    expect(() => resolveFormat('x.bmp', 'same')).toThrow(ImageError);
  });

  it('outputExtension and formatForPath agree', () => {
    for (const f of ['png', 'jpeg', 'webp', 'tiff', 'avif'] as EncodeFormat[]) {
      const ext = outputExtension(f);
      expect(ext.startsWith('.')).toBe(true);
      expect(formatForPath(`a${ext}`)).toBe(f);
    }
    expect(outputExtension('jpeg')).toBe('.jpg');
    expect(formatForPath('a.txt')).toBeNull();
  });

  it('rejects an image whose buffers do not match its size', async () => {
    const bad = { width: 4, height: 4, bitDepth: 8, rgb: new Uint8Array(10), meta: {} } as unknown as DecodedImage;
    await expect(encodeToBuffer(bad, { format: 'png' })).rejects.toThrow(/rgb must be a Uint8Array of 48/);
    const mixed = { width: 2, height: 2, bitDepth: 16, rgb: new Uint8Array(12), meta: {} } as unknown as DecodedImage;
    await expect(encodeToBuffer(mixed, { format: 'png' })).rejects.toThrow(/Uint16Array/);
  });
});

describe('encodePreview', () => {
  it('opaque: JPEG that fits maxSize, aspect kept, full size reported', async () => {
    const src = await decoded(path.join(dir, 'pv.png'), (f) => fromRaw(quadrants(400, 300), 400, 300, 3).png().toFile(f));
    const p = await encodePreview(src, 100);
    expect(p.mime).toBe('image/jpeg');
    expect([p.width, p.height, p.fullWidth, p.fullHeight]).toEqual([100, 75, 400, 300]);
    const { data, info } = await sharp(p.bytes).raw().toBuffer({ resolveWithObject: true });
    expect((await sharp(p.bytes).metadata()).format).toBe('jpeg');
    expect([info.width, info.height]).toEqual([100, 75]);
    expect(maxAbsDiff(at(data, 100, 25, 18), QUADS[0])).toBeLessThan(10);
    expect(maxAbsDiff(at(data, 100, 75, 56), QUADS[3])).toBeLessThan(10);
  });

  it('alpha: PNG with alpha; small images are not enlarged; 16-bit works', async () => {
    const raw = pixels16(40, 30, 4, (x) => [x * 1600, 30000, 1000, x < 20 ? 0 : 65535]);
    const src = await decoded(path.join(dir, 'pv16.png'), (f) => fromRaw(raw, 40, 30, 4).toColourspace('rgb16').png().toFile(f));
    const p = await encodePreview(src, 512);
    expect(p.mime).toBe('image/png');
    expect([p.width, p.height]).toEqual([40, 30]);
    const { data, info } = await sharp(p.bytes).raw().toBuffer({ resolveWithObject: true });
    expect(info.channels).toBe(4);
    expect(data[(5 * 40 + 5) * 4 + 3]).toBe(0);
    expect(data[(5 * 40 + 30) * 4 + 3]).toBe(255);
    expect(Math.abs(data[(5 * 40 + 30) * 4] - Math.round((30 * 1600) / 257))).toBeLessThanOrEqual(1);
  });

  it('alpha survives downscaling (transparent left half stays transparent)', async () => {
    const raw = pixels(400, 300, 4, (x) => [200, 100, 50, x < 200 ? 0 : 255]);
    const src = await decoded(path.join(dir, 'pva.png'), (f) => fromRaw(raw, 400, 300, 4).png().toFile(f));
    const p = await encodePreview(src, 100);
    expect([p.mime, p.width, p.height]).toEqual(['image/png', 100, 75]);
    const { data, info } = await sharp(p.bytes).raw().toBuffer({ resolveWithObject: true });
    expect(info.channels).toBe(4);
    expect(data[(30 * 100 + 10) * 4 + 3]).toBe(0);
    expect(data[(30 * 100 + 90) * 4 + 3]).toBe(255);
    expect(maxAbsDiff(at(data, 100, 90, 30, 4).slice(0, 3), [200, 100, 50])).toBeLessThanOrEqual(1);
  });
});
