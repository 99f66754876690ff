// Image fixtures for the src/core/image tests: temp folders, synthetic images written with sharp at test time,
// crafted headers, and independent colour math to check conversions against.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
import sharp from 'sharp';

const here = path.dirname(fileURLToPath(import.meta.url));
export const REPO = path.resolve(here, '../..');
export const IMAGE_FIXTURES = path.join(REPO, 'test/fixtures/images');
export { crops, OLD_PHOTOS, oldPhotos } from './photos';

/** A fresh temp folder; remove it with the returned cleanup. */
export function makeTmpDir(prefix = 'revive-img-'): { dir: string; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

export type RGB = [number, number, number];

/** Distinct, in-gamut colours for the four quadrants: top-left, top-right, bottom-left, bottom-right. */
export const QUADS: RGB[] = [
  [200, 60, 50],
  [60, 170, 80],
  [50, 70, 190],
  [230, 225, 150],
];

/** Which quadrant (0..3, as QUADS) a pixel is in. */
export const quadOf = (x: number, y: number, w: number, h: number) => (y < h / 2 ? 0 : 2) + (x < w / 2 ? 0 : 1);

/** Interleaved pixels (channels 1..4) made by f(x, y) -> values. */
export function pixels(w: number, h: number, channels: number, f: (x: number, y: number) => number[]): Uint8Array {
  const out = new Uint8Array(w * h * channels);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const v = f(x, y);
      for (let c = 0; c < channels; c++) out[(y * w + x) * channels + c] = v[c];
    }
  }
  return out;
}

export function pixels16(w: number, h: number, channels: number, f: (x: number, y: number) => number[]): Uint16Array {
  const out = new Uint16Array(w * h * channels);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const v = f(x, y);
      for (let c = 0; c < channels; c++) out[(y * w + x) * channels + c] = v[c];
    }
  }
  return out;
}

/** A sharp pipeline over raw interleaved pixels. */
export function fromRaw(data: Uint8Array | Uint16Array, w: number, h: number, channels: 1 | 2 | 3 | 4) {
  return sharp(data, { raw: { width: w, height: h, channels } });
}

/** Quadrant image pixels (RGB, 8-bit). */
export function quadrants(w: number, h: number): Uint8Array {
  return pixels(w, h, 3, (x, y) => QUADS[quadOf(x, y, w, h)]);
}

/** Writes a quadrant image in the format the extension says (sharp chooses by extension). */
export async function writeQuadrants(file: string, w = 64, h = 48): Promise<void> {
  await fromRaw(quadrants(w, h), w, h, 3).toFile(file);
}

/** A smooth but non-trivial 8-bit RGB test pattern (gradients plus a ripple), deterministic. */
export function pattern(w: number, h: number): Uint8Array {
  return pixels(w, h, 3, (x, y) => [
    Math.round((255 * x) / (w - 1)),
    Math.round((255 * y) / (h - 1)),
    Math.round(127.5 + 127.5 * Math.sin((x + 2 * y) / 5)),
  ]);
}

/** Pixel (x, y) of an interleaved buffer with `channels` channels. */
export function at(buf: ArrayLike<number>, w: number, x: number, y: number, channels = 3): number[] {
  const i = (y * w + x) * channels;
  return Array.from({ length: channels }, (_, c) => buf[i + c]);
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} != ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

export function meanAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} != ${b.length}`);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i] - b[i]);
  return s / a.length;
}

/** Raw pixels of a file as sharp decodes it (no colour management, as stored), for comparisons. */
export async function rawOf(file: string, opts: { ignoreIcc?: boolean; depth16?: boolean } = {}) {
  let s = sharp(file, { ignoreIcc: opts.ignoreIcc ?? false });
  s = opts.depth16 ? s.toColourspace('rgb16').raw({ depth: 'ushort' }) : s.raw();
  const { data, info } = await s.toBuffer({ resolveWithObject: true });
  const arr = opts.depth16 ? new Uint16Array(data.buffer, data.byteOffset, data.length / 2) : new Uint8Array(data);
  return { data: arr, info };
}

// ---- independent colour math (no sharp / lcms): Display P3 -> sRGB, both with the sRGB transfer curve and D65 ----

const toLinear = (v: number) => (v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
const toGamma = (v: number) => (v <= 0.0031308 ? 12.92 * v : 1.055 * v ** (1 / 2.4) - 0.055);
// linear Display P3 -> linear sRGB (both D65): M = sRGB_XYZ^-1 * P3_XYZ
const P3_TO_SRGB = [
  [1.2249401, -0.2249404, 0.0],
  [-0.0420569, 1.0420571, 0.0],
  [-0.0196376, -0.0786361, 1.0982735],
];

/** Display P3 coded values (0..max) -> sRGB coded values (0..max, unrounded). */
export function p3ToSrgb(rgb: number[], max = 255): number[] {
  const lin = rgb.map((v) => toLinear(v / max));
  return P3_TO_SRGB.map((row) => {
    const l = row[0] * lin[0] + row[1] * lin[1] + row[2] * lin[2];
    return max * toGamma(Math.min(1, Math.max(0, l)));
  });
}

// ---- crafted headers ----

/** A small real PNG whose IHDR says w x h (CRC fixed), so readers believe the declared size. */
export async function craftPngHeader(file: string, w: number, h: number): Promise<void> {
  const png = Buffer.from(await sharp({ create: { width: 8, height: 8, channels: 3, background: '#808080' } }).png().toBuffer());
  if (png.toString('latin1', 12, 16) !== 'IHDR') throw new Error('IHDR not first');
  png.writeUInt32BE(w, 16);
  png.writeUInt32BE(h, 20);
  png.writeUInt32BE(zlib.crc32(png.subarray(12, 29)) >>> 0, 29);
  fs.writeFileSync(file, png);
}

/** A small real JPEG whose SOF says w x h. */
export async function craftJpegHeader(file: string, w: number, h: number): Promise<void> {
  const jpg = Buffer.from(await sharp({ create: { width: 8, height: 8, channels: 3, background: '#808080' } }).jpeg().toBuffer());
  let i = 2;
  for (;;) {
    if (i + 4 > jpg.length || jpg[i] !== 0xff) throw new Error('no SOF marker found');
    const marker = jpg[i + 1];
    const len = jpg.readUInt16BE(i + 2);
    if (marker >= 0xc0 && marker <= 0xc3) {
      jpg.writeUInt16BE(h, i + 5);
      jpg.writeUInt16BE(w, i + 7);
      break;
    }
    i += 2 + len;
  }
  fs.writeFileSync(file, jpg);
}

/** Files in `dir` whose names say they are encoder temp files. */
export function tempLeftovers(dir: string): string[] {
  return fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.includes('.revive-tmp-')) : [];
}

/** Top-level chunk types of a PNG, in order. */
export function pngChunks(buf: Buffer): string[] {
  const out: string[] = [];
  for (let p = 8; p + 8 <= buf.length; ) {
    const len = buf.readUInt32BE(p);
    out.push(buf.toString('latin1', p + 4, p + 8));
    p += 12 + len;
  }
  return out;
}

/** Top-level chunk ids of a WebP, in order. */
export function webpChunks(buf: Buffer): string[] {
  const out: string[] = [];
  for (let p = 12; p + 8 <= buf.length; ) {
    const len = buf.readUInt32LE(p + 4);
    out.push(buf.toString('latin1', p, p + 4));
    p += 8 + len + (len & 1);
  }
  return out;
}

/** APPn segments of a JPEG (marker and the first bytes of the payload). */
export function jpegAppSegments(buf: Buffer): { marker: number; id: string }[] {
  const out: { marker: number; id: string }[] = [];
  for (let p = 2; p + 4 <= buf.length && buf[p] === 0xff; ) {
    const marker = buf[p + 1];
    if (!((marker >= 0xe0 && marker <= 0xef) || marker === 0xfe)) break;
    const len = buf.readUInt16BE(p + 2);
    out.push({ marker, id: buf.toString('latin1', p + 4, p + 4 + Math.min(12, len - 2)) });
    p += 2 + len;
  }
  return out;
}
