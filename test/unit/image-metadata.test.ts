// The byte-level helpers behind metadata carry-over: EXIF editing, JPEG/PNG/WebP injection, TIFF tagging, ICC
// recognition. Checked by reading the results back with sharp (libvips/libexif/lcms), not with our own parsers.
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { injectJpeg, injectPng, injectWebp } from '../../src/core/image/containers';
import { srgbProfile } from '../../src/core/image/encode';
import { exifBody, prepareExif, readExifOrientation } from '../../src/core/image/exif';
import { iccDescription, isSrgbProfile } from '../../src/core/image/icc';
import { addTiffIcc, wrapRgbaAsTiff } from '../../src/core/image/tiff';
import { fromRaw, jpegAppSegments, maxAbsDiff, pattern, pngChunks, webpChunks } from '../helpers/images';

async function cameraExif(orientation: number): Promise<Buffer> {
  const jpg = await fromRaw(pattern(32, 16), 32, 16, 3)
    .withExif({ IFD0: { Make: 'ReviveTestCam', Model: 'Box Brownie' } })
    .withMetadata({ orientation })
    .jpeg()
    .toBuffer();
  const m = await sharp(jpg).metadata();
  expect(m.orientation).toBe(orientation);
  return m.exif!;
}

/** A big-endian ("MM") EXIF block: IFD0 with Orientation and a next-IFD pointer to a thumbnail IFD. */
function bigEndianExif(orientation: number): Buffer {
  const b = Buffer.alloc(8 + 2 + 12 + 4 + 2 + 12 + 4);
  b.write('MM\0*', 0, 'latin1');
  b.writeUInt32BE(8, 4);
  b.writeUInt16BE(1, 8);
  b.writeUInt16BE(0x0112, 10);
  b.writeUInt16BE(3, 12);
  b.writeUInt32BE(1, 14);
  b.writeUInt16BE(orientation, 18);
  b.writeUInt32BE(26, 22); // IFD1 at 26
  b.writeUInt16BE(1, 26);
  b.writeUInt16BE(0x0103, 28); // Compression
  b.writeUInt16BE(3, 30);
  b.writeUInt32BE(1, 32);
  b.writeUInt16BE(6, 36);
  return b;
}

describe('EXIF', () => {
  it('finds the TIFF body with or without "Exif\\0\\0" (and the HEIF 4-byte offset)', () => {
    const body = bigEndianExif(6);
    expect(exifBody(body)!.equals(body)).toBe(true);
    expect(exifBody(Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), body]))!.equals(body)).toBe(true);
    expect(exifBody(Buffer.concat([Buffer.from([0, 0, 0, 6]), Buffer.from('Exif\0\0', 'latin1'), body]))!.equals(body)).toBe(true);
    expect(exifBody(Buffer.from('not exif at all'))).toBeNull();
  });

  it('prepareExif: orientation 1, thumbnail unlinked, the original untouched (little- and big-endian)', async () => {
    const le = await cameraExif(6);
    const before = Buffer.from(le);
    const out = prepareExif(le, { width: 16, height: 32, srgb: true })!;
    expect(readExifOrientation(le)).toBe(6);
    expect(readExifOrientation(out)).toBe(1);
    expect(le.equals(before)).toBe(true);
    expect(out.includes('ReviveTestCam')).toBe(true);

    const be = bigEndianExif(8);
    const outBe = prepareExif(be, { width: 1, height: 1, srgb: false, density: 600 })!;
    expect(readExifOrientation(be)).toBe(8);
    expect(readExifOrientation(outBe)).toBe(1);
    // libexif (through libvips) agrees: orientation 1, 600 dpi, no thumbnail IFD left
    const jpg = injectJpeg(await fromRaw(pattern(8, 8), 8, 8, 3).jpeg().toBuffer(), outBe, null);
    const m = await sharp(jpg).metadata();
    expect([m.orientation, m.density]).toEqual([1, 600]);
    const ifd0 = outBe.readUInt32BE(4);
    expect(outBe.readUInt32BE(ifd0 + 2 + outBe.readUInt16BE(ifd0) * 12)).toBe(0); // next IFD (thumbnail) cleared
  });

  it('a block that does not parse is dropped, not copied', () => {
    expect(prepareExif(Buffer.from('Exif\0\0MM\0*\0\0\xff\xff', 'latin1'), { width: 1, height: 1, srgb: true })).toBeNull();
    expect(prepareExif(Buffer.alloc(3), { width: 1, height: 1, srgb: true })).toBeNull();
    expect(readExifOrientation(undefined)).toBeUndefined();
  });
});

describe('container injection (read back by sharp)', () => {
  const icc = () => srgbProfile();

  it('JPEG: one EXIF APP1 after JFIF, ICC APP2; libvips reads both', async () => {
    const exif = prepareExif(await cameraExif(3), { width: 32, height: 16, srgb: true, density: 200 })!;
    const plain = await fromRaw(pattern(32, 16), 32, 16, 3).withDensity(200).jpeg().toBuffer(); // has its own EXIF
    expect(jpegAppSegments(plain).filter((s) => s.marker === 0xe1).length).toBe(1);
    const out = injectJpeg(plain, exif, await icc());
    const segs = jpegAppSegments(out);
    expect(segs.filter((s) => s.marker === 0xe1 && s.id.startsWith('Exif')).length).toBe(1);
    const m = await sharp(out).metadata();
    expect(m.orientation).toBe(1);
    expect(m.exif!.includes('Box Brownie')).toBe(true);
    expect(Buffer.compare(m.icc!, await icc())).toBe(0);
    expect(m.density).toBe(200);
    const a = await sharp(plain).raw().toBuffer();
    const b = await sharp(out, { ignoreIcc: true }).raw().toBuffer();
    expect(maxAbsDiff(a, b)).toBe(0);
  });

  it('JPEG: an ICC profile over 64 KB is split across APP2 segments and reassembled by the reader', async () => {
    const base = await icc();
    const big = Buffer.alloc(150_000);
    base.copy(big);
    big.writeUInt32BE(big.length, 0); // profile size field
    const out = injectJpeg(await fromRaw(pattern(8, 8), 8, 8, 3).jpeg().toBuffer(), null, big);
    expect(jpegAppSegments(out).filter((s) => s.marker === 0xe2).length).toBe(3);
    const m = await sharp(out).metadata();
    expect(m.icc!.length).toBe(big.length);
    expect(Buffer.compare(m.icc!, big)).toBe(0);
  });

  it('PNG: iCCP and eXIf right after IHDR, CRCs valid (libpng checks them)', async () => {
    const exif = prepareExif(await cameraExif(8), { width: 32, height: 16, srgb: true, density: 150 })!;
    const png = await fromRaw(pattern(32, 16), 32, 16, 3).withDensity(150).png().toBuffer();
    const out = injectPng(png, exif, await icc());
    const chunks = pngChunks(out);
    expect(chunks.slice(0, 3)).toEqual(['IHDR', 'iCCP', 'eXIf']);
    expect(chunks.filter((c) => c === 'eXIf').length).toBe(1);
    const m = await sharp(out, { failOn: 'warning' }).metadata();
    expect(m.orientation).toBe(1);
    expect(Buffer.compare(m.icc!, await icc())).toBe(0);
    expect(m.density).toBe(150);
    const pixels = await sharp(out, { failOn: 'warning' }).raw().toBuffer();
    expect(maxAbsDiff(pixels, await sharp(png).raw().toBuffer())).toBe(0);
  });

  it.each([false, true])('WebP (alpha %s): VP8X with flags, ICCP first, EXIF after the image', async (alpha) => {
    const exif = prepareExif(await cameraExif(6), { width: 32, height: 16, srgb: true })!;
    const base = fromRaw(pattern(32, 16), 32, 16, 3);
    const webp = await (alpha ? base.ensureAlpha(0.5) : base).webp({ lossless: !alpha }).toBuffer();
    const out = injectWebp(webp, exif, await icc(), { width: 32, height: 16, hasAlpha: alpha });
    const chunks = webpChunks(out);
    expect(chunks[0]).toBe('VP8X');
    expect(chunks[1]).toBe('ICCP');
    expect(chunks.at(-1)).toBe('EXIF');
    expect(out.readUInt32LE(4)).toBe(out.length - 8);
    const flags = out[20];
    expect(flags & 0x20).toBe(0x20);
    expect(flags & 0x08).toBe(0x08);
    expect(!!(flags & 0x10)).toBe(alpha);
    const m = await sharp(out).metadata();
    expect([m.width, m.height, m.hasAlpha]).toEqual([32, 16, alpha]);
    expect(m.orientation).toBe(1);
    expect(m.exif!.includes('ReviveTestCam')).toBe(true);
    expect(Buffer.compare(m.icc!, await icc())).toBe(0);
    const a = await sharp(webp).raw().toBuffer();
    const b = await sharp(out, { ignoreIcc: true }).raw().toBuffer();
    expect(maxAbsDiff(a, b)).toBe(0);
  });
});

describe('TIFF helpers', () => {
  it('addTiffIcc tags a TIFF sharp wrote, pixels untouched; BigTIFF is left alone', async () => {
    const tif = await fromRaw(pattern(20, 10), 20, 10, 3).tiff({ compression: 'lzw' }).toBuffer();
    const p3 = (await sharp(await fromRaw(pattern(2, 2), 2, 2, 3).withIccProfile('p3').png().toBuffer()).metadata()).icc!;
    const out = addTiffIcc(tif, p3)!;
    const m = await sharp(out).metadata();
    expect(Buffer.compare(m.icc!, p3)).toBe(0);
    const a = await sharp(tif).raw().toBuffer();
    const b = await sharp(out, { ignoreIcc: true }).raw().toBuffer();
    expect(maxAbsDiff(a, b)).toBe(0);
    const big = Buffer.from(tif);
    big.writeUInt16LE(43, 2);
    expect(addTiffIcc(big, p3)).toBeNull();
  });

  it('wrapRgbaAsTiff: sharp reads size, channels, alpha, profile and pixels back', async () => {
    const w = 7;
    const h = 5;
    const rgba = new Uint8ClampedArray(w * h * 4).map((_, i) => (i * 37) % 256);
    const p3 = (await sharp(await fromRaw(pattern(2, 2), 2, 2, 3).withIccProfile('p3').png().toBuffer()).metadata()).icc!;
    for (const channels of [3, 4] as const) {
      const tif = wrapRgbaAsTiff(rgba, w, h, channels, p3);
      const m = await sharp(tif).metadata();
      expect([m.width, m.height, m.channels, m.hasAlpha]).toEqual([w, h, channels, channels === 4]);
      expect(Buffer.compare(m.icc!, p3)).toBe(0);
      const px = await sharp(tif, { ignoreIcc: true }).raw().toBuffer();
      for (let i = 0; i < w * h; i++) {
        for (let c = 0; c < channels; c++) expect(px[i * channels + c]).toBe(rgba[i * 4 + c]);
      }
    }
  });
});

describe('ICC recognition', () => {
  it('sRGB is recognised; P3, CMYK and non-profiles are not', async () => {
    const srgb = await srgbProfile();
    expect(iccDescription(srgb)).toMatch(/sRGB/);
    expect(isSrgbProfile(srgb)).toBe(true);
    const p3 = (await sharp(await fromRaw(pattern(2, 2), 2, 2, 3).withIccProfile('p3').png().toBuffer()).metadata()).icc!;
    expect(iccDescription(p3)).toBeTruthy();
    expect(isSrgbProfile(p3)).toBe(false);
    const cmykJpeg = await fromRaw(pattern(2, 2), 2, 2, 3).withIccProfile('cmyk').jpeg().toBuffer();
    const cmyk = (await sharp(cmykJpeg).metadata()).icc!;
    expect(cmyk.toString('latin1', 16, 20)).toBe('CMYK');
    expect(isSrgbProfile(cmyk)).toBe(false);
    expect(isSrgbProfile(Buffer.from('sRGB'.repeat(50)))).toBe(false);
    expect(isSrgbProfile(undefined)).toBe(false);
  });
});
