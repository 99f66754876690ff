// What a file is, from its first bytes, and whether a file that failed to decode was cut short. Used to give the
// right message (a text file named .jpg is "not an image", a BMP is "unsupported", a half-copied JPEG is
// "incomplete") without trusting the extension, and to keep formats sharp would happily read but Revive does not
// accept (SVG, PDF, ...) out.
import { promises as fsp } from 'node:fs';
import type { InputFormat } from './types';

export type Sniffed =
  | { kind: 'image'; format: InputFormat; brand?: string }
  | { kind: 'unsupported'; name: string }
  | { kind: 'unknown' };

const ascii = (b: Uint8Array, start: number, end: number) => {
  let s = '';
  for (let i = start; i < Math.min(end, b.length); i++) s += String.fromCharCode(b[i]);
  return s;
};

const startsWith = (b: Uint8Array, sig: number[], at = 0) => sig.every((v, i) => b[at + i] === v);

const HEIC_BRANDS = new Set(['heic', 'heix', 'heim', 'heis', 'hevc', 'hevx', 'hevm', 'hevs', 'mif1', 'msf1', 'mif2']);
const AVIF_BRANDS = new Set(['avif', 'avis']);

/** Classifies a file from its first 64 bytes or so. */
export function sniff(head: Uint8Array): Sniffed {
  const b = head;
  if (startsWith(b, [0xff, 0xd8, 0xff])) return { kind: 'image', format: 'jpeg' };
  if (startsWith(b, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return { kind: 'image', format: 'png' };
  if (ascii(b, 0, 4) === 'GIF8') return { kind: 'image', format: 'gif' };
  if (ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 12) === 'WEBP') return { kind: 'image', format: 'webp' };
  const t4 = ascii(b, 0, 4);
  if (t4 === 'II*\0' && ascii(b, 8, 10) === 'CR') return { kind: 'unsupported', name: 'camera raw (CR2)' };
  if (t4 === 'II*\0' || t4 === 'MM\0*' || t4 === 'II+\0' || t4 === 'MM\0+') return { kind: 'image', format: 'tiff' };
  if (ascii(b, 4, 8) === 'ftyp') {
    const major = ascii(b, 8, 12);
    const size = ((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]) >>> 0;
    const brands = [major];
    for (let o = 16; o + 4 <= Math.min(size, b.length); o += 4) brands.push(ascii(b, o, o + 4));
    if (brands.some((x) => AVIF_BRANDS.has(x))) return { kind: 'image', format: 'heif', brand: 'avif' };
    if (brands.some((x) => HEIC_BRANDS.has(x))) return { kind: 'image', format: 'heif', brand: major };
    if (brands.some((x) => x.startsWith('jxl'))) return { kind: 'unsupported', name: 'JPEG XL' };
    if (brands.some((x) => x.startsWith('jp2') || x.startsWith('jpx'))) {
      return { kind: 'unsupported', name: 'JPEG 2000' };
    }
    if (brands.some((x) => x.startsWith('crx'))) return { kind: 'unsupported', name: 'camera raw (CR3)' };
    return { kind: 'unsupported', name: 'video or other ISO media' };
  }
  if (ascii(b, 0, 2) === 'BM') return { kind: 'unsupported', name: 'BMP' };
  if (startsWith(b, [0x00, 0x00, 0x00, 0x0c, 0x6a, 0x50, 0x20, 0x20]) || startsWith(b, [0xff, 0x4f, 0xff, 0x51])) {
    return { kind: 'unsupported', name: 'JPEG 2000' };
  }
  if (startsWith(b, [0xff, 0x0a]) || startsWith(b, [0x00, 0x00, 0x00, 0x0c, 0x4a, 0x58, 0x4c, 0x20])) {
    return { kind: 'unsupported', name: 'JPEG XL' };
  }
  if (t4 === '8BPS') return { kind: 'unsupported', name: 'Photoshop (PSD)' };
  if (startsWith(b, [0x00, 0x00, 0x01, 0x00]) || startsWith(b, [0x00, 0x00, 0x02, 0x00])) {
    return { kind: 'unsupported', name: 'Windows icon' };
  }
  if (t4 === '%PDF') return { kind: 'unsupported', name: 'PDF' };
  if (b[0] === 0x50 && b[1] >= 0x31 && b[1] <= 0x37 && (b[2] === 0x0a || b[2] === 0x20 || b[2] === 0x0d)) {
    return { kind: 'unsupported', name: 'PNM/PPM' };
  }
  if (ascii(b, 0, 10) === '#?RADIANCE' || ascii(b, 0, 6) === '#?RGBE') {
    return { kind: 'unsupported', name: 'Radiance HDR' };
  }
  if (startsWith(b, [0x76, 0x2f, 0x31, 0x01])) return { kind: 'unsupported', name: 'OpenEXR' };
  if (ascii(b, 0, 6) === 'SIMPLE') return { kind: 'unsupported', name: 'FITS' };
  const text = ascii(b, 0, 256).replace(/^\uFEFF/, '').trimStart().toLowerCase();
  if (text.startsWith('<svg') || (text.startsWith('<?xml') && text.includes('<svg'))) {
    return { kind: 'unsupported', name: 'SVG drawing' };
  }
  return { kind: 'unknown' };
}

export async function readHead(file: string, n = 256): Promise<Uint8Array> {
  const fh = await fsp.open(file, 'r');
  try {
    const buf = new Uint8Array(n);
    const { bytesRead } = await fh.read(buf, 0, n, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

async function readAt(fh: fsp.FileHandle, pos: number, n: number): Promise<Uint8Array> {
  const buf = new Uint8Array(n);
  const { bytesRead } = await fh.read(buf, 0, n, pos);
  return buf.subarray(0, bytesRead);
}

/**
 * Whether the file's structure says it ends early: a JPEG without its end marker, a PNG without IEND, a GIF
 * without its trailer, a WebP/HEIF whose declared sizes run past the end of the file. Only asked after a decode or
 * a header read failed, so a file with junk after its end (which decodes fine) never gets here.
 */
export async function looksTruncated(file: string, format: InputFormat): Promise<boolean> {
  const fh = await fsp.open(file, 'r');
  try {
    const { size } = await fh.stat();
    if (format === 'jpeg') {
      // the last bytes must hold FF D9 (some writers pad a few bytes after it)
      const tail = await readAt(fh, Math.max(0, size - 32), 32);
      for (let i = tail.length - 2; i >= 0; i--) if (tail[i] === 0xff && tail[i + 1] === 0xd9) return false;
      return true;
    }
    if (format === 'png') {
      const tail = await readAt(fh, Math.max(0, size - 12), 12);
      return ascii(tail, 4, 8) !== 'IEND';
    }
    if (format === 'gif') {
      const tail = await readAt(fh, Math.max(0, size - 1), 1);
      return tail[0] !== 0x3b;
    }
    if (format === 'webp') {
      const head = await readAt(fh, 0, 12);
      if (head.length < 12) return true;
      const riff = (head[4] | (head[5] << 8) | (head[6] << 16) | (head[7] << 24)) >>> 0;
      return riff + 8 > size;
    }
    if (format === 'heif') {
      // top-level boxes must add up to the file
      let pos = 0;
      for (let guard = 0; pos < size && guard < 10000; guard++) {
        const h = await readAt(fh, pos, 16);
        if (h.length < 8) return true;
        let len = ((h[0] << 24) | (h[1] << 16) | (h[2] << 8) | h[3]) >>> 0;
        if (len === 1) {
          if (h.length < 16) return true;
          len = Number((BigInt(((h[8] << 24) | (h[9] << 16) | (h[10] << 8) | h[11]) >>> 0) << 32n) |
            BigInt(((h[12] << 24) | (h[13] << 16) | (h[14] << 8) | h[15]) >>> 0));
        } else if (len === 0) {
          return false; // box runs to the end of the file
        }
        if (len < 8) return false; // nonsense, but not a truncation
        pos += len;
      }
      return pos > size;
    }
    return false; // TIFF: no cheap structural end to check
  } finally {
    await fh.close();
  }
}

/** Whether a failed read/decode of this file is best explained by the file being cut short. */
export async function isTruncated(file: string, format: InputFormat, message: string): Promise<boolean> {
  if (/premature end|truncated|unexpected end of/i.test(message)) return true;
  return looksTruncated(file, format).catch(() => false);
}
