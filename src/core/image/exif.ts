// EXIF blocks: find the TIFF structure inside what sharp returns, read the orientation, and prepare a copy for an
// output file whose pixels are already upright: orientation 1, pixel dimensions updated, colour space sRGB, the
// thumbnail (IFD1, a picture of the unrestored, possibly unrotated original) unlinked. Every read is bounds-checked;
// a block that does not parse is dropped rather than copied half-understood.

const TAG_ORIENTATION = 0x0112;
const TAG_EXIF_IFD = 0x8769;
const TAG_COLOR_SPACE = 0xa001;
const TAG_PIXEL_X = 0xa002;
const TAG_PIXEL_Y = 0xa003;
const SHORT = 3;
const LONG = 4;

/** The TIFF-structured body of an EXIF block ("II*\0..." / "MM\0*..."), without any "Exif\0\0" prefix. */
export function exifBody(exif: Uint8Array | undefined | null): Buffer | null {
  if (!exif || exif.length < 8) return null;
  const b = Buffer.from(exif.buffer, exif.byteOffset, exif.length);
  const isTiff = (o: number) => {
    const s = b.toString('latin1', o, o + 4);
    return s === 'II*\0' || s === 'MM\0*';
  };
  if (isTiff(0)) return b;
  // "Exif\0\0" (JPEG/WebP style), possibly after a 4-byte offset (HEIF style)
  for (let o = 0; o <= Math.min(16, b.length - 10); o++) {
    if (b.toString('latin1', o, o + 6) === 'Exif\0\0' && isTiff(o + 6)) return b.subarray(o + 6);
  }
  return null;
}

interface Reader {
  b: Buffer;
  le: boolean;
  u16(o: number): number;
  u32(o: number): number;
  w16(v: number, o: number): void;
  w32(v: number, o: number): void;
}

function reader(b: Buffer): Reader | null {
  if (b.length < 8) return null;
  const order = b.toString('latin1', 0, 2);
  if (order !== 'II' && order !== 'MM') return null;
  const le = order === 'II';
  const r: Reader = {
    b,
    le,
    u16: (o) => (le ? b.readUInt16LE(o) : b.readUInt16BE(o)),
    u32: (o) => (le ? b.readUInt32LE(o) : b.readUInt32BE(o)),
    w16: (v, o) => void (le ? b.writeUInt16LE(v, o) : b.writeUInt16BE(v, o)),
    w32: (v, o) => void (le ? b.writeUInt32LE(v, o) : b.writeUInt32BE(v, o)),
  };
  if (r.u16(2) !== 42) return null;
  return r;
}

/** Entry offsets of the IFD at `ifd`, or null when it does not fit in the block. */
function entries(r: Reader, ifd: number): number[] | null {
  if (ifd < 8 || ifd + 2 > r.b.length) return null;
  const n = r.u16(ifd);
  if (ifd + 2 + n * 12 + 4 > r.b.length) return null;
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(ifd + 2 + i * 12);
  return out;
}

/** The orientation (1..8) an EXIF block declares, or undefined. */
export function readExifOrientation(exif: Uint8Array | undefined | null): number | undefined {
  const body = exifBody(exif);
  if (!body) return undefined;
  const r = reader(body);
  if (!r) return undefined;
  const es = entries(r, r.u32(4));
  if (!es) return undefined;
  for (const e of es) {
    if (r.u16(e) === TAG_ORIENTATION && r.u16(e + 2) === SHORT) return r.u16(e + 8);
  }
  return undefined;
}

export interface ExifUpdate {
  width: number;
  height: number;
  /** Set the EXIF ColorSpace tag (when present) to sRGB. */
  srgb: boolean;
  /** Dots per inch to record (XResolution/YResolution/ResolutionUnit), so EXIF agrees with the file's own DPI. */
  density?: number;
  /**
   * ImageDescription, Artist, Copyright (bytes, no NUL) to add to IFD0 where the block has none (a TIFF or PNG
   * source's, going into a JPEG, PNG or WebP); the block's own are kept.
   */
  text?: { description?: Buffer; artist?: Buffer; copyright?: Buffer };
}

/** An EXIF body with an empty IFD0: the start for an output whose source had no EXIF but has text tags to carry. */
export function emptyExif(): Buffer {
  const b = Buffer.alloc(14);
  b.write('II*\0', 0, 'latin1');
  b.writeUInt32LE(8, 4);
  return b; // 0 entries, no next IFD
}

const TAG_DESCRIPTION = 270;
const TAG_ARTIST = 315;
const TAG_COPYRIGHT = 33432;
const ASCII = 2;
const TAG_X_RES = 0x011a;
const TAG_Y_RES = 0x011b;
const TAG_RES_UNIT = 0x0128;
const RATIONAL = 5;

/**
 * A copy of the EXIF block's TIFF body, fit for an output whose pixels are upright and `width` x `height`:
 * orientation 1, resolution = `density` (when given), PixelXDimension/PixelYDimension updated, ColorSpace sRGB when
 * asked, IFD1 (thumbnail) unlinked. IFD0 is rewritten at the end of the block (offsets in TIFF structures are
 * absolute, so every other structure stays valid where it is). Null when the block does not parse.
 */
export function prepareExif(exif: Uint8Array | undefined | null, up: ExifUpdate): Buffer | null {
  const src = exifBody(exif);
  if (!src) return null;
  const old = reader(Buffer.from(src));
  if (!old) return null;
  const ifd0 = old.u32(4);
  const es = entries(old, ifd0);
  if (!es) return null;
  let exifIfd = 0;
  type E = { tag: number; type: number; count: number; value: Buffer; data?: Buffer };
  const kept: E[] = [];
  const replaced = new Set([TAG_ORIENTATION]);
  const density = up.density && up.density > 0 && Number.isFinite(up.density) ? up.density : 0;
  if (density) [TAG_X_RES, TAG_Y_RES, TAG_RES_UNIT].forEach((t) => replaced.add(t));
  for (const e of es) {
    const tag = old.u16(e);
    if (tag === TAG_EXIF_IFD) exifIfd = old.u32(e + 8);
    if (replaced.has(tag)) continue;
    kept.push({ tag, type: old.u16(e + 2), count: old.u32(e + 4), value: Buffer.from(old.b.subarray(e + 8, e + 12)) });
  }
  const short = (v: number) => {
    const b = Buffer.alloc(4);
    if (old.le) b.writeUInt16LE(v);
    else b.writeUInt16BE(v);
    return b;
  };
  const rational = (v: number) => {
    const b = Buffer.alloc(8);
    const num = Math.round(v * 100);
    if (old.le) {
      b.writeUInt32LE(num);
      b.writeUInt32LE(100, 4);
    } else {
      b.writeUInt32BE(num);
      b.writeUInt32BE(100, 4);
    }
    return b;
  };
  kept.push({ tag: TAG_ORIENTATION, type: SHORT, count: 1, value: short(1) });
  const have = new Set(kept.map((e) => e.tag));
  const texts: [number, Buffer | undefined][] = [
    [TAG_DESCRIPTION, up.text?.description],
    [TAG_ARTIST, up.text?.artist],
    [TAG_COPYRIGHT, up.text?.copyright],
  ];
  for (const [tag, bytes] of texts) {
    if (!bytes?.length || have.has(tag)) continue;
    const data = Buffer.concat([bytes, Buffer.alloc(1)]);
    if (data.length <= 4) {
      const value = Buffer.alloc(4);
      data.copy(value);
      kept.push({ tag, type: ASCII, count: data.length, value });
    } else kept.push({ tag, type: ASCII, count: data.length, value: Buffer.alloc(4), data: data.length & 1 ? Buffer.concat([data, Buffer.alloc(1)]) : data });
  }
  if (density) {
    kept.push({ tag: TAG_X_RES, type: RATIONAL, count: 1, value: Buffer.alloc(4), data: rational(density) });
    kept.push({ tag: TAG_Y_RES, type: RATIONAL, count: 1, value: Buffer.alloc(4), data: rational(density) });
    kept.push({ tag: TAG_RES_UNIT, type: SHORT, count: 1, value: short(2) });
  }
  kept.sort((a, b) => a.tag - b.tag);
  const start = old.b.length + (old.b.length & 1);
  const ifdLen = 2 + kept.length * 12 + 4;
  const dataLen = kept.reduce((n, e) => n + (e.data ? e.data.length : 0), 0);
  const body = Buffer.alloc(start + ifdLen + dataLen);
  old.b.copy(body, 0);
  const r = reader(body)!;
  r.w16(kept.length, start);
  let p = start + 2;
  let d = start + ifdLen;
  for (const e of kept) {
    r.w16(e.tag, p);
    r.w16(e.type, p + 2);
    r.w32(e.count, p + 4);
    if (e.data) {
      e.data.copy(body, d);
      r.w32(d, p + 8);
      d += e.data.length;
    } else e.value.copy(body, p + 8);
    p += 12;
  }
  r.w32(0, p); // next IFD: none (drop the thumbnail)
  r.w32(start, 4);
  const sub = exifIfd ? entries(r, exifIfd) : null;
  for (const e of sub ?? []) {
    const tag = r.u16(e);
    const type = r.u16(e + 2);
    if (r.u32(e + 4) !== 1) continue;
    if (tag === TAG_PIXEL_X || tag === TAG_PIXEL_Y) {
      const v = tag === TAG_PIXEL_X ? up.width : up.height;
      if (type === LONG) r.w32(v, e + 8);
      else if (type === SHORT && v <= 0xffff) r.w16(v, e + 8);
    } else if (tag === TAG_COLOR_SPACE && type === SHORT && up.srgb) {
      r.w16(1, e + 8);
    }
  }
  return body;
}
