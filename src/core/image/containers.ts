// Puts an EXIF block and an ICC profile into an encoded JPEG, PNG or WebP. sharp writes metadata only from an input
// file it decoded itself, and our encoder's input is raw pixels, so the original's EXIF (camera, date, ...) is
// carried over here, byte for byte (after exif.ts has set orientation 1). Anything the writer put in the same
// place (libvips writes a small EXIF when a density is set) is replaced, never duplicated. The archival metadata
// (XMP, IPTC, comments, PNG text; archival.ts reads it) goes in here too, in each format's own place for it.
import zlib from 'node:zlib';
import { IPTC_KEYWORD, rawProfileText, XMP_KEYWORD } from './archival';
import type { TextEntry } from './types';

function segment(marker: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head[0] = 0xff;
  head[1] = marker;
  head.writeUInt16BE(payload.length + 2, 2);
  return Buffer.concat([head, payload]);
}

const EXIF_HEADER = Buffer.from('Exif\0\0', 'latin1');
const ICC_HEADER = Buffer.from('ICC_PROFILE\0', 'latin1');
const XMP_HEADER = Buffer.from('http://ns.adobe.com/xap/1.0/\0', 'latin1');
const PS_HEADER = Buffer.from('Photoshop 3.0\0', 'latin1');
/** The largest segment payload: 65535 less the length field. */
const SEGMENT_MAX = 0xffff - 2;
/** The largest XMP packet (UTF-8 bytes) one JPEG APP1 segment holds; a bigger one needs ExtendedXMP. */
export const JPEG_XMP_MAX = SEGMENT_MAX - XMP_HEADER.length;

/** What a file carries besides EXIF and ICC (encode.ts decides which of it each format gets). */
export interface ExtraMeta {
  /** The XMP packet. */
  xmp?: string;
  /** IPTC-IIM bytes (JPEG: Photoshop resource 0x0404 in APP13; PNG: the "Raw profile type iptc" zTXt). */
  iptc?: Buffer;
  /** JPEG: COM segments. */
  comments?: string[];
  /** PNG: text chunks. */
  text?: TextEntry[];
  /** PNG: the source stated no density, so the writer's pHYs (libvips' 1 pixel/mm) goes. */
  noDensity?: boolean;
}

/** A Photoshop image-resource block holding one IPTC resource (0x0404), as JPEG's APP13 carries it. */
function photoshopIptc(iptc: Buffer): Buffer {
  const head = Buffer.alloc(12);
  head.write('8BIM', 0, 'latin1');
  head.writeUInt16BE(0x0404, 4);
  // empty Pascal name (length 0, padded to 2 bytes), then the size
  head.writeUInt32BE(iptc.length, 8);
  return Buffer.concat([PS_HEADER, head, iptc, Buffer.alloc(iptc.length & 1)]);
}

/** COM segments of a comment (UTF-8; a comment longer than one segment takes several). */
function commentSegments(text: string): Buffer[] {
  const b = Buffer.from(text, 'utf8');
  const out: Buffer[] = [];
  for (let i = 0; i < b.length || i === 0; i += SEGMENT_MAX) out.push(segment(0xfe, b.subarray(i, i + SEGMENT_MAX)));
  return out;
}

/**
 * A JPEG with `exif` (TIFF body) as its APP1 and `icc` as its APP2 segments, and the extra metadata (XMP APP1, IPTC
 * APP13, COM); null arguments leave that part as is. What does not fit a segment (EXIF, XMP or IPTC over 64 KB) is
 * left out.
 */
export function injectJpeg(jpeg: Buffer, exif: Buffer | null, icc: Buffer | null, extra: ExtraMeta = {}): Buffer {
  if (jpeg[0] !== 0xff || jpeg[1] !== 0xd8) throw new Error('not a JPEG stream');
  if (exif && exif.length + EXIF_HEADER.length + 2 > 0xffff) exif = null; // does not fit one segment: drop it
  const xmp = extra.xmp !== undefined ? Buffer.from(extra.xmp, 'utf8') : null;
  const xmpSeg = xmp && xmp.length <= JPEG_XMP_MAX ? segment(0xe1, Buffer.concat([XMP_HEADER, xmp])) : null;
  const ps = extra.iptc?.length ? photoshopIptc(extra.iptc) : null;
  const psSeg = ps && ps.length <= SEGMENT_MAX ? segment(0xed, ps) : null;
  const jfif: Buffer[] = [];
  const others: Buffer[] = [];
  let pos = 2;
  while (pos + 4 <= jpeg.length && jpeg[pos] === 0xff) {
    const marker = jpeg[pos + 1];
    const isApp = (marker >= 0xe0 && marker <= 0xef) || marker === 0xfe;
    if (!isApp) break;
    const len = jpeg.readUInt16BE(pos + 2);
    const seg = jpeg.subarray(pos, pos + 2 + len);
    const payload = seg.subarray(4);
    if (marker === 0xe0 && payload.toString('latin1', 0, 5) === 'JFIF\0') jfif.push(seg);
    else if (marker === 0xe1 && exif && payload.subarray(0, 6).equals(EXIF_HEADER)) {
      // replaced
    } else if (marker === 0xe1 && xmpSeg && payload.subarray(0, XMP_HEADER.length).equals(XMP_HEADER)) {
      // replaced
    } else if (marker === 0xe2 && icc && payload.subarray(0, 12).equals(ICC_HEADER)) {
      // replaced
    } else if (marker === 0xed && psSeg && payload.subarray(0, PS_HEADER.length).equals(PS_HEADER)) {
      // replaced
    } else others.push(seg);
    pos += 2 + len;
  }
  const parts: Buffer[] = [jpeg.subarray(0, 2), ...jfif];
  if (exif) parts.push(segment(0xe1, Buffer.concat([EXIF_HEADER, exif])));
  if (xmpSeg) parts.push(xmpSeg);
  if (icc) {
    const max = 0xffff - 2 - ICC_HEADER.length - 2;
    const chunks = Math.ceil(icc.length / max);
    if (chunks <= 255) {
      for (let i = 0; i < chunks; i++) {
        const seq = Buffer.from([i + 1, chunks]);
        parts.push(segment(0xe2, Buffer.concat([ICC_HEADER, seq, icc.subarray(i * max, (i + 1) * max)])));
      }
    }
  }
  if (psSeg) parts.push(psSeg);
  parts.push(...others);
  for (const c of extra.comments ?? []) parts.push(...commentSegments(c));
  parts.push(jpeg.subarray(pos));
  return Buffer.concat(parts);
}

function pngChunk(type: string, data: Buffer): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  data.copy(out, 8);
  out.writeUInt32BE(zlib.crc32(out.subarray(4, 8 + data.length)) >>> 0, 8 + data.length);
  return out;
}

/** An iTXt chunk holding XMP, when new XMP replaces it. */
function isXmpChunk(type: string, chunk: Buffer, extra: ExtraMeta): boolean {
  return extra.xmp !== undefined && type === 'iTXt' && chunk.toString('latin1', 8, 8 + XMP_KEYWORD.length + 1) === `${XMP_KEYWORD}\0`;
}

const PNG_SIG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

const isLatin1 = (s: string) => /^[\x20-\x7e\xa0-\xff\n]*$/.test(s);

/**
 * The chunk of a text entry: iTXt when it has a language or a translated keyword, or text outside Latin-1 (PNG's
 * tEXt/zTXt are Latin-1 only); otherwise tEXt, or zTXt past 1 KB. XMP is always an uncompressed iTXt (the XMP
 * specification's rule, so readers can find it).
 */
export function textChunk(e: TextEntry, forceItxt = false): Buffer {
  const key = Buffer.from(e.keyword.slice(0, 79), 'latin1');
  if (forceItxt || e.lang || e.translated || !isLatin1(e.text)) {
    const body = Buffer.from(e.text, 'utf8');
    const compress = !forceItxt && body.length > 1024;
    return pngChunk(
      'iTXt',
      Buffer.concat([
        key,
        Buffer.from([0, compress ? 1 : 0, 0]),
        Buffer.from(e.lang ?? '', 'latin1'),
        Buffer.from([0]),
        Buffer.from(e.translated ?? '', 'utf8'),
        Buffer.from([0]),
        compress ? zlib.deflateSync(body) : body,
      ]),
    );
  }
  const body = Buffer.from(e.text, 'latin1');
  if (body.length > 1024) return pngChunk('zTXt', Buffer.concat([key, Buffer.from([0, 0]), zlib.deflateSync(body)]));
  return pngChunk('tEXt', Buffer.concat([key, Buffer.from([0]), body]));
}

/**
 * A PNG with `exif` as its eXIf chunk and `icc` as its iCCP chunk (right after IHDR), and the extra metadata as text
 * chunks before the image data (XMP: iTXt "XML:com.adobe.xmp"; IPTC: zTXt "Raw profile type iptc"; the text
 * entries); null leaves that part as is.
 */
export function injectPng(png: Buffer, exif: Buffer | null, icc: Buffer | null, extra: ExtraMeta = {}): Buffer {
  if (!png.subarray(0, 8).equals(PNG_SIG)) throw new Error('not a PNG stream');
  const parts: Buffer[] = [PNG_SIG];
  let pos = 8;
  let inserted = false;
  while (pos + 12 <= png.length) {
    const len = png.readUInt32BE(pos);
    const type = png.toString('latin1', pos + 4, pos + 8);
    const end = pos + 12 + len;
    const chunk = png.subarray(pos, end);
    const drop =
      (exif && type === 'eXIf') ||
      (icc && (type === 'iCCP' || type === 'sRGB')) ||
      (extra.noDensity && type === 'pHYs') ||
      isXmpChunk(type, chunk, extra);
    if (!drop) parts.push(chunk);
    if (type === 'IHDR' && !inserted) {
      inserted = true;
      if (icc) {
        const name = Buffer.from('sRGB\0\0', 'latin1'); // profile name, NUL, compression method 0
        parts.push(pngChunk('iCCP', Buffer.concat([name, zlib.deflateSync(icc)])));
      }
      if (exif) parts.push(pngChunk('eXIf', exif));
      if (extra.xmp !== undefined) parts.push(textChunk({ keyword: XMP_KEYWORD, text: extra.xmp }, true));
      if (extra.iptc?.length) parts.push(textChunk({ keyword: IPTC_KEYWORD, text: rawProfileText(extra.iptc) }));
      for (const e of extra.text ?? []) parts.push(textChunk(e));
    }
    pos = end;
    if (type === 'IEND') break;
  }
  return Buffer.concat(parts);
}

/**
 * A WebP with `exif` as its EXIF chunk, `icc` as its ICCP chunk and `xmpPacket` as its XMP chunk, in the extended
 * (VP8X) layout the format requires for them; null (undefined for XMP) leaves that part as is.
 */
export function injectWebp(
  webp: Buffer,
  exif: Buffer | null,
  icc: Buffer | null,
  size: { width: number; height: number; hasAlpha: boolean },
  xmpPacket?: string,
): Buffer {
  if (webp.toString('latin1', 0, 4) !== 'RIFF' || webp.toString('latin1', 8, 12) !== 'WEBP') {
    throw new Error('not a WebP stream');
  }
  let vp8x: Buffer | null = null;
  let iccp: Buffer | null = null;
  let exifChunk: Buffer | null = null;
  const image: Buffer[] = []; // ANIM/ANMF/ALPH/VP8/VP8L and unknown chunks, in order
  let xmp: Buffer[] = [];
  let pos = 12;
  while (pos + 8 <= webp.length) {
    const id = webp.toString('latin1', pos, pos + 4);
    const len = webp.readUInt32LE(pos + 4);
    const end = Math.min(webp.length, pos + 8 + len + (len & 1));
    const chunk = webp.subarray(pos, end);
    if (id === 'VP8X') vp8x = chunk;
    else if (id === 'ICCP') iccp = chunk;
    else if (id === 'EXIF') exifChunk = chunk;
    else if (id === 'XMP ') xmp.push(chunk);
    else image.push(chunk);
    pos = end;
  }
  const riffChunk = (id: string, data: Buffer) => {
    const head = Buffer.alloc(8);
    head.write(id, 0, 'latin1');
    head.writeUInt32LE(data.length, 4);
    return Buffer.concat(data.length & 1 ? [head, data, Buffer.alloc(1)] : [head, data]);
  };
  if (icc) iccp = riffChunk('ICCP', icc);
  if (exif) exifChunk = riffChunk('EXIF', exif);
  if (xmpPacket !== undefined) xmp = [riffChunk('XMP ', Buffer.from(xmpPacket, 'utf8'))];
  let flags = vp8x ? vp8x[8] : 0;
  const hasAlphaChunk = image.some((c) => c.toString('latin1', 0, 4) === 'ALPH');
  if (!vp8x && (size.hasAlpha || hasAlphaChunk)) flags |= 0x10;
  flags = iccp ? flags | 0x20 : flags & ~0x20;
  flags = exifChunk ? flags | 0x08 : flags & ~0x08;
  flags = xmp.length ? flags | 0x04 : flags & ~0x04;
  const x = Buffer.alloc(10);
  x[0] = flags;
  if (vp8x) vp8x.copy(x, 4, 12, 18);
  else {
    x.writeUIntLE(size.width - 1, 4, 3);
    x.writeUIntLE(size.height - 1, 7, 3);
  }
  const body = [riffChunk('VP8X', x), ...(iccp ? [iccp] : []), ...image, ...(exifChunk ? [exifChunk] : []), ...xmp];
  const total = body.reduce((s, c) => s + c.length, 0) + 4;
  const head = Buffer.alloc(12);
  head.write('RIFF', 0, 'latin1');
  head.writeUInt32LE(total, 4);
  head.write('WEBP', 8, 'latin1');
  return Buffer.concat([head, ...body]);
}
