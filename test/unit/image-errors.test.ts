// Bad inputs: each refused with its ImageError code and a message that names the file in plain words; the huge
// declared image is refused from its header, before any pixel is allocated.
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeImage, probeImage } from '../../src/core/image/decode';
import { sniff } from '../../src/core/image/sniff';
import { ImageError, type ImageErrorCode, MAX_PIXELS } from '../../src/core/image/types';
import { craftJpegHeader, craftPngHeader, fromRaw, IMAGE_FIXTURES, makeTmpDir, pattern } from '../helpers/images';

let dir: string;
let cleanup: () => void;
beforeAll(() => ({ dir, cleanup } = makeTmpDir('revive-errors-')));
afterAll(() => cleanup());

async function failure(p: Promise<unknown>): Promise<ImageError> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  if (!(e instanceof ImageError)) throw new Error(`expected an ImageError, got ${e === null ? 'success' : String(e)}`);
  return e;
}

/** Both probe and decode refuse `file` with `code`, a message naming it and matching `words`. */
async function expectRefused(file: string, code: ImageErrorCode, words: RegExp, probeToo = true) {
  const fromDecode = await failure(decodeImage(file));
  expect(fromDecode.code).toBe(code);
  expect(fromDecode.message).toContain(file);
  expect(fromDecode.message).toMatch(words);
  expect(fromDecode.file).toBe(file);
  if (probeToo) {
    const fromProbe = await failure(probeImage(file));
    expect(fromProbe.code).toBe(code);
    expect(fromProbe.message).toBe(fromDecode.message);
  }
  return fromDecode;
}

it('MAX_PIXELS is 16384 squared', () => {
  expect(MAX_PIXELS).toBe(268_435_456);
});

describe('refused inputs', () => {
  it('an empty file', async () => {
    const file = path.join(dir, 'empty.jpg');
    fs.writeFileSync(file, '');
    await expectRefused(file, 'empty', /is empty \(0 bytes\)/);
  });

  it('a text file named .jpg', async () => {
    const file = path.join(dir, 'notes.jpg');
    fs.writeFileSync(file, 'Grandma, summer 1952. Scanned at 600 dpi.\n'.repeat(20));
    const e = await expectRefused(file, 'not-an-image', /is not an image/);
    expect(e.message).toContain('.jpg');
  });

  it('a truncated JPEG: header fine, data cut short', async () => {
    const full = await fromRaw(pattern(320, 240), 320, 240, 3).jpeg({ quality: 90 }).toBuffer();
    const file = path.join(dir, 'cut.jpg');
    fs.writeFileSync(file, full.subarray(0, Math.floor(full.length * 0.6)));
    // sharp alone would hand back a partly grey picture: make sure that is what we refuse
    const lenient = await sharp(file, { failOn: 'none' }).raw().toBuffer({ resolveWithObject: true });
    expect(lenient.info.width).toBe(320);
    const meta = await probeImage(file); // the header is intact
    expect(meta.width).toBe(320);
    await expectRefused(file, 'truncated', /incomplete.*JPEG/, false);
  });

  it('a truncated PNG, and a WebP cut inside its header', async () => {
    const png = await fromRaw(pattern(200, 150), 200, 150, 3).png().toBuffer();
    const p = path.join(dir, 'cut.png');
    fs.writeFileSync(p, png.subarray(0, Math.floor(png.length / 2)));
    await expectRefused(p, 'truncated', /incomplete.*PNG/, false);

    const webp = await fromRaw(pattern(200, 150), 200, 150, 3).webp().toBuffer();
    const w = path.join(dir, 'cut.webp');
    fs.writeFileSync(w, webp.subarray(0, 40));
    await expectRefused(w, 'truncated', /incomplete.*WebP/);
  });

  it('a truncated HEIC', async () => {
    const full = fs.readFileSync(path.join(IMAGE_FIXTURES, 'quadrants.heic'));
    const file = path.join(dir, 'cut.heic');
    fs.writeFileSync(file, full.subarray(0, full.length - 200));
    await expectRefused(file, 'truncated', /incomplete.*HEIC/, false);
  });

  it('a damaged (not truncated) JPEG is "unreadable", not "truncated"', async () => {
    const full = Buffer.from(await fromRaw(pattern(64, 64), 64, 64, 3).jpeg().toBuffer());
    // turn the quantisation table into a comment: the data cannot be decoded, yet the file still ends with FFD9
    const dqt = full.indexOf(Buffer.from([0xff, 0xdb]));
    expect(dqt).toBeGreaterThan(0);
    full[dqt + 1] = 0xfe;
    const file = path.join(dir, 'broken.jpg');
    fs.writeFileSync(file, full);
    const e = await failure(decodeImage(file));
    expect(e.code).toBe('unreadable');
    expect(e.message).toContain(file);
    expect(e.message).toMatch(/damaged/);
  });

  it('formats Revive does not read: BMP, SVG', async () => {
    const bmp = path.join(dir, 'scan.bmp');
    const hdr = Buffer.alloc(58);
    hdr.write('BM', 0, 'latin1');
    hdr.writeUInt32LE(58, 2);
    hdr.writeUInt32LE(54, 10);
    hdr.writeUInt32LE(40, 14);
    hdr.writeInt32LE(1, 18);
    hdr.writeInt32LE(1, 22);
    hdr.writeUInt16LE(1, 26);
    hdr.writeUInt16LE(24, 28);
    fs.writeFileSync(bmp, hdr);
    const e = await expectRefused(bmp, 'unsupported', /BMP.*cannot open/);
    expect(e.message).toMatch(/JPEG, PNG, TIFF/);

    // sharp would render an SVG; a photo restorer should not pretend it is a photo
    const svg = path.join(dir, 'drawing.png');
    fs.writeFileSync(svg, '<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>');
    await expectRefused(svg, 'unsupported', /SVG/);
  });

  it('a missing file and a folder', async () => {
    const missing = path.join(dir, 'gone.jpg');
    await expectRefused(missing, 'unreadable', /does not exist/);
    const folder = path.join(dir, 'album.jpg');
    fs.mkdirSync(folder);
    await expectRefused(folder, 'unreadable', /is a folder/);
  });
});

describe('sniff (what a file is, from its first bytes)', () => {
  it('knows the formats Revive reads, from real files', async () => {
    const base = () => fromRaw(pattern(16, 16), 16, 16, 3);
    const cases: [Buffer, string][] = [
      [await base().jpeg().toBuffer(), 'jpeg'],
      [await base().png().toBuffer(), 'png'],
      [await base().gif().toBuffer(), 'gif'],
      [await base().webp().toBuffer(), 'webp'],
      [await base().tiff().toBuffer(), 'tiff'],
      [await base().avif().toBuffer(), 'heif'],
      [fs.readFileSync(path.join(IMAGE_FIXTURES, 'quadrants.heic')), 'heif'],
    ];
    for (const [buf, format] of cases) expect(sniff(buf)).toMatchObject({ kind: 'image', format });
    expect(sniff(cases[5][0])).toMatchObject({ brand: 'avif' });
  });

  it('names formats it does not read, and calls the rest unknown', () => {
    const b = (s: string) => Buffer.from(s, 'latin1');
    expect(sniff(b('%PDF-1.7\n'))).toEqual({ kind: 'unsupported', name: 'PDF' });
    expect(sniff(b('P6\n640 480\n255\n'))).toEqual({ kind: 'unsupported', name: 'PNM/PPM' });
    expect(sniff(b('8BPS\0\x01'))).toEqual({ kind: 'unsupported', name: 'Photoshop (PSD)' });
    expect(sniff(Buffer.from([0xff, 0x0a, 0x00]))).toEqual({ kind: 'unsupported', name: 'JPEG XL' });
    expect(sniff(b('\0\0\0\x18ftypmp42\0\0\0\0mp42isom'))).toMatchObject({ kind: 'unsupported' });
    expect(sniff(b('II*\0\x10\0\0\0CR\x02\0'))).toEqual({ kind: 'unsupported', name: 'camera raw (CR2)' });
    expect(sniff(b('Hello, world'))).toEqual({ kind: 'unknown' });
    expect(sniff(b('Pizza'))).toEqual({ kind: 'unknown' });
    expect(sniff(new Uint8Array(0))).toEqual({ kind: 'unknown' });
  });
});

describe('too large (declared size, refused before decoding)', () => {
  it.each([
    ['PNG', 'huge.png', craftPngHeader],
    ['JPEG', 'huge.jpg', craftJpegHeader],
  ])('a %s declaring 30000 x 30000 pixels is refused fast, without allocating them', async (_n, name, craft) => {
    const file = path.join(dir, name);
    await craft(file, 30000, 30000);
    expect(fs.statSync(file).size).toBeLessThan(2000);
    // sanity: sharp reads the crafted header as 30000 x 30000
    const m = await sharp(file, { limitInputPixels: false }).metadata();
    expect([m.width, m.height]).toEqual([30000, 30000]);

    global.gc?.();
    const rss0 = process.memoryUsage().rss;
    const t0 = performance.now();
    const e = await expectRefused(file, 'too-large', /too large/);
    const ms = performance.now() - t0;
    const grew = process.memoryUsage().rss - rss0;
    expect(e.message).toContain('30000 × 30000');
    expect(e.message).toMatch(/900 megapixels/);
    expect(ms).toBeLessThan(1500); // decoding 900 M pixels would take far longer (and 2.7 GB)
    expect(grew).toBeLessThan(200 * 1024 * 1024);
  });

  it('a declared size just over the limit is refused, one at the limit is not', async () => {
    const over = path.join(dir, 'over.png');
    await craftPngHeader(over, 16385, 16384);
    expect((await failure(probeImage(over))).code).toBe('too-large');
    const at = path.join(dir, 'at.png');
    await craftPngHeader(at, 16384, 16384);
    const meta = await probeImage(at);
    expect(meta.width * meta.height).toBe(MAX_PIXELS);
  });
});
