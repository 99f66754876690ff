// Reading what archivists write into photos besides EXIF and ICC: XMP, IPTC, JPEG comments, PNG text chunks and the
// TIFF text tags (ImageDescription, Artist, Copyright). sharp reports only some of these (no JPEG comments, no TIFF
// Artist/Copyright, PNG text only partly), so they are read here from the file's own structure, with positional reads
// (a 500 MB TIFF scan is not read whole: only its chunk and segment headers and the values asked for). Every length is
// bounds-checked; a structure that does not parse ends the reading with what was found so far. encode.ts writes them
// back (see its policy and docs/metadata.md).
import { promises as fsp } from 'node:fs';
import zlib from 'node:zlib';
import type { ArchivalMeta, InputFormat, TextEntry } from './types';

/** Largest single piece of metadata read (an XMP packet, a text chunk, an IPTC block): 16 MB. */
export const MAX_META_BYTES = 16 * 1024 * 1024;
/** Most segments/chunks walked in one file (a crafted file cannot keep the reader busy). */
const MAX_PARTS = 100_000;

const XMP_JPEG = 'http://ns.adobe.com/xap/1.0/\0';
export const XMP_KEYWORD = 'XML:com.adobe.xmp';
export const IPTC_KEYWORD = 'Raw profile type iptc';

export const TAG_DESCRIPTION = 270;
export const TAG_ARTIST = 315;
export const TAG_COPYRIGHT = 33432;
export const TAG_XMP = 700;
export const TAG_IPTC = 33723;

type Reader = (pos: number, len: number) => Promise<Buffer>;

/** Text of bytes that may be UTF-8 or Latin-1 (JPEG comments, TIFF ASCII): UTF-8 when valid, else Latin-1. */
export function decodeText(b: Buffer): string {
  const s = b.toString('utf8');
  return s.includes('\uFFFD') && !b.includes(Buffer.from('\uFFFD')) ? b.toString('latin1') : s;
}

function stripNul(b: Buffer): Buffer {
  let end = b.length;
  while (end > 0 && b[end - 1] === 0) end--;
  return b.subarray(0, end);
}

/** The IPTC-IIM bytes inside a Photoshop image-resource block ("8BIM" resources; resource 0x0404). */
export function iptcFromPhotoshop(b: Buffer): Buffer | undefined {
  let pos = b.toString('latin1', 0, 14) === 'Photoshop 3.0\0' ? 14 : 0;
  while (pos + 12 <= b.length) {
    if (b.toString('latin1', pos, pos + 4) !== '8BIM') return undefined;
    const id = b.readUInt16BE(pos + 4);
    const nameLen = b[pos + 6];
    let p = pos + 6 + 1 + nameLen;
    if (p & 1) p++; // the Pascal name is padded to an even size
    if (p + 4 > b.length) return undefined;
    const size = b.readUInt32BE(p);
    const data = p + 4;
    if (data + size > b.length) return undefined;
    if (id === 0x0404) return Buffer.from(b.subarray(data, data + size));
    pos = data + size + (size & 1);
  }
  return undefined;
}

/** IPTC as ImageMagick and exiftool store it in PNG: "\niptc\n   <length>\n<hex...>" in a zTXt chunk. */
export function iptcFromRawProfile(text: string): Buffer | undefined {
  const m = /^\s*\S*\s+(\d+)\s+([0-9a-fA-F\s]+)$/.exec(text);
  if (!m) return undefined;
  const bytes = Buffer.from(m[2].replace(/\s+/g, ''), 'hex');
  if (bytes.length !== Number(m[1])) return undefined;
  return bytes.toString('latin1', 0, 4) === '8BIM' || bytes.toString('latin1', 0, 13) === 'Photoshop 3.0'
    ? iptcFromPhotoshop(bytes)
    : bytes;
}

/** The zTXt text of IPTC bytes in ImageMagick's raw-profile layout (hex, 72 characters a line). */
export function rawProfileText(bytes: Buffer): string {
  const hex = bytes.toString('hex');
  const lines: string[] = [];
  for (let i = 0; i < hex.length; i += 72) lines.push(hex.slice(i, i + 72));
  return `\niptc\n${String(bytes.length).padStart(8)}\n${lines.join('\n')}\n`;
}

/** Whether a JPEG states its density: JFIF with a unit, or EXIF with a resolution (what libvips reads it from). */
interface JpegFacts {
  densityStated: boolean;
}

async function readJpeg(read: Reader, size: number, out: ArchivalMeta, facts: JpegFacts): Promise<void> {
  let pos = 2;
  for (let n = 0; n < MAX_PARTS && pos + 4 <= size; n++) {
    const head = await read(pos, 4);
    if (head[0] !== 0xff) return;
    const marker = head[1];
    if (marker === 0xff) {
      pos++; // fill byte
      continue;
    }
    if (marker === 0xda || marker === 0xd9) return; // start of scan / end of image: the metadata is before
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      pos += 2;
      continue;
    }
    const len = head.readUInt16BE(2);
    if (len < 2 || pos + 2 + len > size) return;
    const interesting = marker === 0xfe || marker === 0xe1 || marker === 0xed || marker === 0xe0;
    if (interesting) {
      const payload = await read(pos + 4, len - 2);
      if (marker === 0xe0) {
        // JFIF: "JFIF\0", version (2), units (0 = aspect ratio only, 1 = dpi, 2 = dpcm), x and y density
        if (payload.toString('latin1', 0, 5) === 'JFIF\0' && payload.length >= 12 && payload[7] !== 0) {
          facts.densityStated ||= payload.readUInt16BE(8) > 0;
        }
      } else if (marker === 0xe1 && payload.toString('latin1', 0, 6) === 'Exif\0\0') {
        const exif = payload.subarray(6);
        const t = await readTiffTags(async (p, l) => exif.subarray(p, p + l), exif.length, [282]);
        facts.densityStated ||= t.has(282);
      } else if (marker === 0xfe) (out.comments ??= []).push(decodeText(stripNul(payload)));
      else if (marker === 0xe1 && payload.toString('latin1', 0, XMP_JPEG.length) === XMP_JPEG) {
        out.xmp ??= payload.subarray(XMP_JPEG.length).toString('utf8');
      } else if (marker === 0xed && payload.toString('latin1', 0, 14) === 'Photoshop 3.0\0') {
        const iptc = iptcFromPhotoshop(payload);
        if (iptc) out.iptc = out.iptc ? Buffer.concat([out.iptc, iptc]) : iptc;
      }
    }
    pos += 2 + len;
  }
}

function latin1Entry(data: Buffer, compressed: boolean): TextEntry | null {
  const nul = data.indexOf(0);
  if (nul < 1 || nul > 79) return null;
  const keyword = data.toString('latin1', 0, nul);
  let body = data.subarray(nul + 1);
  if (compressed) {
    if (body[0] !== 0) return null; // compression method 0 (zlib) is the only one
    body = zlib.inflateSync(body.subarray(1), { maxOutputLength: MAX_META_BYTES });
  }
  return { keyword, text: body.toString('latin1') };
}

function itxtEntry(data: Buffer): TextEntry | null {
  const nul = data.indexOf(0);
  if (nul < 1 || nul > 79 || nul + 3 > data.length) return null;
  const keyword = data.toString('latin1', 0, nul);
  const compressed = data[nul + 1] === 1;
  const langEnd = data.indexOf(0, nul + 3);
  if (langEnd < 0) return null;
  const transEnd = data.indexOf(0, langEnd + 1);
  if (transEnd < 0) return null;
  let body = data.subarray(transEnd + 1);
  if (compressed) body = zlib.inflateSync(body, { maxOutputLength: MAX_META_BYTES });
  const e: TextEntry = { keyword, text: body.toString('utf8') };
  const lang = data.toString('latin1', nul + 3, langEnd);
  const translated = data.toString('utf8', langEnd + 1, transEnd);
  if (lang) e.lang = lang;
  if (translated) e.translated = translated;
  return e;
}

async function readPng(read: Reader, size: number, out: ArchivalMeta): Promise<void> {
  let pos = 8;
  for (let n = 0; n < MAX_PARTS && pos + 12 <= size; n++) {
    const head = await read(pos, 8);
    const len = head.readUInt32BE(0);
    const type = head.toString('latin1', 4, 8);
    if (pos + 12 + len > size) return;
    if ((type === 'tEXt' || type === 'zTXt' || type === 'iTXt') && len <= MAX_META_BYTES) {
      const data = await read(pos + 8, len);
      let e: TextEntry | null = null;
      try {
        e = type === 'iTXt' ? itxtEntry(data) : latin1Entry(data, type === 'zTXt');
      } catch {
        e = null; // a damaged compressed chunk: left out
      }
      if (e) {
        if (e.keyword === XMP_KEYWORD) out.xmp ??= e.text;
        else if (e.keyword === IPTC_KEYWORD) {
          const iptc = iptcFromRawProfile(e.text);
          if (iptc) out.iptc ??= iptc;
        } else if (!e.keyword.startsWith('Raw profile type ')) (out.text ??= []).push(e);
      }
    }
    if (type === 'IEND') return;
    pos += 12 + len;
  }
}

/** The values of some tags of a TIFF structure's first IFD (classic TIFF; BigTIFF gives nothing). */
export async function readTiffTags(read: Reader, size: number, tags: readonly number[], base = 0): Promise<Map<number, Buffer>> {
  const found = new Map<number, Buffer>();
  if (size < 8) return found;
  const h = await read(base, 8);
  const order = h.toString('latin1', 0, 2);
  if (order !== 'II' && order !== 'MM') return found;
  const le = order === 'II';
  const u16 = (b: Buffer, o: number) => (le ? b.readUInt16LE(o) : b.readUInt16BE(o));
  const u32 = (b: Buffer, o: number) => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
  if (u16(h, 2) !== 42) return found;
  const ifd = u32(h, 4);
  if (ifd < 8 || base + ifd + 2 > size) return found;
  const count = u16(await read(base + ifd, 2), 0);
  if (base + ifd + 2 + count * 12 > size) return found;
  const es = await read(base + ifd + 2, count * 12);
  const unit: Record<number, number> = { 1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8 };
  for (let i = 0; i < count; i++) {
    const o = i * 12;
    const tag = u16(es, o);
    if (!tags.includes(tag) || found.has(tag)) continue;
    const bytes = (unit[u16(es, o + 2)] ?? 0) * u32(es, o + 4);
    if (bytes === 0 || bytes > MAX_META_BYTES) continue;
    if (bytes <= 4) found.set(tag, Buffer.from(es.subarray(o + 8, o + 8 + bytes)));
    else {
      const at = u32(es, o + 8);
      if (base + at + bytes <= size) found.set(tag, await read(base + at, bytes));
    }
  }
  return found;
}

async function readTiff(read: Reader, size: number, out: ArchivalMeta): Promise<void> {
  const t = await readTiffTags(read, size, [TAG_DESCRIPTION, TAG_ARTIST, TAG_COPYRIGHT, TAG_XMP, TAG_IPTC]);
  setTextTags(out, t);
  const xmp = t.get(TAG_XMP);
  if (xmp) out.xmp = stripNul(xmp).toString('utf8');
  const iptc = t.get(TAG_IPTC);
  if (iptc) out.iptc = iptc;
}

function setTextTags(out: ArchivalMeta, t: Map<number, Buffer>): void {
  const text = (tag: number) => {
    const b = t.get(tag);
    const s = b ? stripNul(b) : null;
    return s && s.length ? Buffer.from(s) : undefined;
  };
  const d = text(TAG_DESCRIPTION);
  const a = text(TAG_ARTIST);
  const c = text(TAG_COPYRIGHT);
  if (d) out.description ??= d;
  if (a) out.artist ??= a;
  if (c) out.copyright ??= c;
}

async function readWebp(read: Reader, size: number, out: ArchivalMeta): Promise<void> {
  let pos = 12;
  for (let n = 0; n < MAX_PARTS && pos + 8 <= size; n++) {
    const head = await read(pos, 8);
    const id = head.toString('latin1', 0, 4);
    const len = head.readUInt32LE(4);
    if (pos + 8 + len > size) return;
    if (id === 'XMP ' && len <= MAX_META_BYTES) out.xmp ??= (await read(pos + 8, len)).toString('utf8');
    pos += 8 + len + (len & 1);
  }
}

/** ImageDescription, Artist and Copyright from an EXIF block's IFD0 (what cameras and scanners write there). */
export async function exifTextTags(exifTiff: Buffer | null): Promise<ArchivalMeta> {
  const out: ArchivalMeta = {};
  if (!exifTiff) return out;
  const read: Reader = async (pos, len) => exifTiff.subarray(pos, pos + len);
  setTextTags(out, await readTiffTags(read, exifTiff.length, [TAG_DESCRIPTION, TAG_ARTIST, TAG_COPYRIGHT]));
  return out;
}

function empty(m: ArchivalMeta): boolean {
  return Object.values(m).every((v) => v === undefined);
}

/**
 * The archival metadata of a photo file in `format` (absent when it has none) and, for JPEG, whether the file states
 * its density. Never throws: a file that cannot
 * be read here was already read by the decoder, and metadata that does not parse is left out, not half-copied.
 */
export async function readArchival(
  file: string,
  format: InputFormat,
  xmpFromSharp?: Buffer,
): Promise<{ archival?: ArchivalMeta; densityStated?: boolean }> {
  const out: ArchivalMeta = {};
  const facts: JpegFacts = { densityStated: false };
  let fh: fsp.FileHandle | undefined;
  try {
    fh = await fsp.open(file, 'r');
    const size = (await fh.stat()).size;
    const h = fh;
    let budget = 4 * MAX_META_BYTES; // all metadata of one file together (a file of nothing but comments stops here)
    const read: Reader = async (pos, len) => {
      budget -= len;
      if (budget < 0) throw new RangeError('too much metadata');
      const b = Buffer.alloc(len);
      const { bytesRead } = await h.read(b, 0, len, pos);
      return b.subarray(0, bytesRead);
    };
    if (format === 'jpeg') await readJpeg(read, size, out, facts);
    else if (format === 'png') await readPng(read, size, out);
    else if (format === 'tiff') await readTiff(read, size, out);
    else if (format === 'webp') await readWebp(read, size, out);
  } catch {
    // what was read so far is kept
  } finally {
    await fh?.close().catch(() => undefined);
  }
  if (out.xmp === undefined && xmpFromSharp?.length) out.xmp = stripNul(xmpFromSharp).toString('utf8');
  return {
    ...(empty(out) ? {} : { archival: out }),
    ...(format === 'jpeg' ? { densityStated: facts.densityStated } : {}),
  };
}
