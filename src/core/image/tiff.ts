// Minimal TIFF plumbing: (1) wrap 8-bit RGB(A) pixels with an ICC profile into an uncompressed TIFF, so sharp can
// convert pixels that came from elsewhere (the HEIC decoder) from that profile to sRGB; (2) add a tag (the ICC
// profile) to a TIFF sharp wrote, by appending a copy of its first IFD, since sharp cannot tag 16-bit output sRGB
// without also converting it.

const TIFF_ICC = 34675;

type Entry = { tag: number; type: number; count: number; value: Buffer }; // value: 4 bytes, inline or offset

/**
 * An uncompressed little-endian TIFF holding width x height pixels of `channels` (3 = RGB, 4 = RGBA, unassociated
 * alpha) 8-bit samples read from `src` (RGBA, 4 values a pixel), with the ICC profile embedded.
 */
export function wrapRgbaAsTiff(
  src: Uint8Array | Uint8ClampedArray,
  width: number,
  height: number,
  channels: 3 | 4,
  icc: Uint8Array,
): Buffer {
  const n = width * height;
  const entries: { tag: number; type: number; count: number; inline?: number; data?: Buffer }[] = [];
  const bps = Buffer.alloc(2 * channels);
  for (let i = 0; i < channels; i++) bps.writeUInt16LE(8, 2 * i);
  entries.push({ tag: 256, type: 4, count: 1, inline: width });
  entries.push({ tag: 257, type: 4, count: 1, inline: height });
  entries.push({ tag: 258, type: 3, count: channels, data: bps });
  entries.push({ tag: 259, type: 3, count: 1, inline: 1 });
  entries.push({ tag: 262, type: 3, count: 1, inline: 2 });
  entries.push({ tag: 273, type: 4, count: 1, inline: 0 }); // patched below
  entries.push({ tag: 277, type: 3, count: 1, inline: channels });
  entries.push({ tag: 278, type: 4, count: 1, inline: height });
  entries.push({ tag: 279, type: 4, count: 1, inline: n * channels });
  entries.push({ tag: 284, type: 3, count: 1, inline: 1 });
  if (channels === 4) entries.push({ tag: 338, type: 3, count: 1, inline: 2 });
  const iccData = Buffer.from(icc.buffer, icc.byteOffset, icc.length);
  entries.push({ tag: TIFF_ICC, type: 7, count: icc.length, data: iccData });

  const ifdSize = 2 + entries.length * 12 + 4;
  let extra = 8 + ifdSize;
  const extraOffsets = new Map<number, number>();
  for (const e of entries) {
    if (e.data && e.data.length > 4) {
      extraOffsets.set(e.tag, extra);
      extra += e.data.length + (e.data.length & 1);
    }
  }
  const pixelOffset = extra;
  const out = Buffer.alloc(pixelOffset + n * channels);
  out.write('II', 0, 'latin1');
  out.writeUInt16LE(42, 2);
  out.writeUInt32LE(8, 4);
  out.writeUInt16LE(entries.length, 8);
  let p = 10;
  for (const e of entries) {
    out.writeUInt16LE(e.tag, p);
    out.writeUInt16LE(e.type, p + 2);
    out.writeUInt32LE(e.count, p + 4);
    if (e.tag === 273) out.writeUInt32LE(pixelOffset, p + 8);
    else if (e.data && e.data.length > 4) {
      const off = extraOffsets.get(e.tag)!;
      out.writeUInt32LE(off, p + 8);
      e.data.copy(out, off);
    } else if (e.data) e.data.copy(out, p + 8);
    else if (e.type === 3) out.writeUInt16LE(e.inline!, p + 8);
    else out.writeUInt32LE(e.inline!, p + 8);
    p += 12;
  }
  out.writeUInt32LE(0, p); // no next IFD
  if (channels === 4) {
    out.set(src.subarray(0, n * 4), pixelOffset);
  } else {
    for (let i = 0, s = 0, d = pixelOffset; i < n; i++, s += 4, d += 3) {
      out[d] = src[s];
      out[d + 1] = src[s + 1];
      out[d + 2] = src[s + 2];
    }
  }
  return out;
}

/** A tag to set in a TIFF's first IFD: its type (2 ASCII, 3 SHORT, 5 RATIONAL, 7 UNDEFINED...), count and bytes. */
export interface TiffTag {
  tag: number;
  type: number;
  count: number;
  /** The value's bytes in the file's byte order (see tiffByteOrder). */
  data: Buffer;
}

/** 'le' or 'be' for a TIFF buffer, or null when it is not classic TIFF. */
export function tiffByteOrder(tiff: Buffer): 'le' | 'be' | null {
  if (tiff.length < 8) return null;
  const order = tiff.toString('latin1', 0, 2);
  if (order !== 'II' && order !== 'MM') return null;
  const le = order === 'II';
  if ((le ? tiff.readUInt16LE(2) : tiff.readUInt16BE(2)) !== 42) return null;
  return le ? 'le' : 'be';
}

/**
 * `tiff` with tags added to (or replaced in) its first IFD, and the tags in `remove` taken out: the values and a copy
 * of the IFD are appended and the header pointed at the copy (offsets in TIFF are absolute, so nothing else moves).
 * Returns null for what it cannot edit (BigTIFF, a malformed header); the caller then keeps the file as it was.
 */
export function addTiffTags(tiff: Buffer, tags: readonly TiffTag[], remove: readonly number[] = []): Buffer | null {
  const order = tiffByteOrder(tiff);
  if (!order) return null;
  const le = order === 'le';
  const u16 = (o: number) => (le ? tiff.readUInt16LE(o) : tiff.readUInt16BE(o));
  const u32 = (o: number) => (le ? tiff.readUInt32LE(o) : tiff.readUInt32BE(o));
  const ifd = u32(4);
  if (ifd + 2 > tiff.length) return null;
  const count = u16(ifd);
  if (ifd + 2 + count * 12 + 4 > tiff.length) return null;
  const replaced = new Set([...tags.map((t) => t.tag), ...remove]);
  const entries: Entry[] = [];
  for (let i = 0; i < count; i++) {
    const o = ifd + 2 + i * 12;
    const tag = u16(o);
    if (replaced.has(tag)) continue;
    entries.push({ tag, type: u16(o + 2), count: u32(o + 4), value: Buffer.from(tiff.subarray(o + 8, o + 12)) });
  }
  const next = u32(ifd + 2 + count * 12);
  // appended: each value over 4 bytes (word-aligned), then the new IFD
  const blobs: { at: number; data: Buffer }[] = [];
  let end = tiff.length + (tiff.length & 1);
  for (const t of tags) {
    const value = Buffer.alloc(4);
    if (t.data.length <= 4) t.data.copy(value);
    else {
      blobs.push({ at: end, data: t.data });
      if (le) value.writeUInt32LE(end);
      else value.writeUInt32BE(end);
      end += t.data.length + (t.data.length & 1);
    }
    entries.push({ tag: t.tag, type: t.type, count: t.count, value });
  }
  entries.sort((a, b) => a.tag - b.tag);
  const newIfd = end;
  const total = newIfd + 2 + entries.length * 12 + 4;
  if (total > 0xffffffff) return null;
  const out = Buffer.alloc(total);
  tiff.copy(out, 0);
  for (const b of blobs) b.data.copy(out, b.at);
  const w16 = (v: number, o: number) => (le ? out.writeUInt16LE(v, o) : out.writeUInt16BE(v, o));
  const w32 = (v: number, o: number) => (le ? out.writeUInt32LE(v, o) : out.writeUInt32BE(v, o));
  w16(entries.length, newIfd);
  let p = newIfd + 2;
  for (const e of entries) {
    w16(e.tag, p);
    w16(e.type, p + 2);
    w32(e.count, p + 4);
    e.value.copy(out, p + 8);
    p += 12;
  }
  w32(next, p);
  w32(newIfd, 4);
  return out;
}

/**
 * `tiff` with an ICC profile tag added to (or replaced in) its first IFD. Returns null for what it cannot edit
 * (BigTIFF, a malformed header); the caller then keeps the file untagged.
 */
export function addTiffIcc(tiff: Buffer, icc: Uint8Array): Buffer | null {
  const data = Buffer.from(icc.buffer, icc.byteOffset, icc.length);
  return addTiffTags(tiff, [{ tag: TIFF_ICC, type: 7, count: icc.length, data }]);
}
