// Writing photos: encodeImage (atomic, metadata carried over), resolveFormat/outputExtension (what "same format"
// means), encodePreview (small JPEG/PNG for the app).
//
// Metadata policy:
// - Colour: decode converts everything to sRGB, so the output is sRGB. When the source carried an ICC profile (or
//   was CMYK) the output is tagged with sRGB's profile, so colour-managed viewers show it as intended; untagged
//   sources stay untagged (untagged means sRGB). The original profile is NOT re-attached: the pixels are no longer
//   in that space, and converting back (e.g. to a CMYK or ProPhoto profile) would gain nothing after an sRGB trip.
//   Single-channel grey outputs carry no profile (an RGB profile on grey data is invalid).
// - EXIF: the source's block is copied byte for byte with orientation set to 1 (pixels are upright), pixel size
//   updated and the thumbnail dropped, into JPEG (APP1), PNG (eXIf) and WebP (EXIF). TIFF and AVIF outputs carry no
//   EXIF (sharp cannot write it there; for TIFF, scanner data lives in baseline tags, not EXIF).
// - DPI: kept (JPEG JFIF, PNG pHYs, TIFF resolution; WebP/AVIF only through EXIF).
// - Depth: 16-bit stays 16-bit for PNG and TIFF; JPEG, WebP and AVIF are 8-bit.
// - Grey sources (meta.isGrey) are written as grey: one channel (plus alpha) in PNG, TIFF and JPEG; WebP/AVIF have
//   no grey mode and get three equal channels.
// - Alpha: put back in PNG, TIFF, WebP, AVIF; JPEG has none, so the image is flattened onto white.
// - Archival metadata (archival.ts reads it; docs/metadata.md has the table): XMP into every format (JPEG APP1, PNG
//   iTXt "XML:com.adobe.xmp", TIFF tag 700, WebP "XMP " chunk, AVIF through libvips), merged with what Revive did
//   (xmp.ts: an xmpMM:History event and revive:SourceSHA256 / revive:Settings, when `provenance` is given). IPTC
//   into JPEG (APP13), PNG (zTXt "Raw profile type iptc") and TIFF (tag 33723); WebP and AVIF have no place for it.
//   ImageDescription, Artist, Copyright: TIFF tags, or EXIF IFD0 tags in JPEG, PNG and WebP. JPEG comments: COM in
//   JPEG, a "Comment" text chunk in PNG; PNG text: text chunks in PNG, "Description"/"Author"/"Copyright" as those
//   three tags elsewhere, any other as a JPEG comment "Keyword: text". What a format has no place for (comments in
//   TIFF and WebP) is kept in the XMP as revive:Notes.
// - No DPI in, no DPI out: a source without a stated density gets none (TIFF, which must have a resolution, says
//   "no unit"), never libvips' 72 or 25.4 dpi.
import { clampTo, RANGES } from '../../shared/limits';
import { pathKey, realPath } from '../fs-paths';
import { createHash, randomBytes } from 'node:crypto';
import fs, { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp, { type Sharp } from 'sharp';
import type { PreviewImage } from '../../shared/api';
import type { OutputFormat } from '../../shared/types';
import { reviveVersion } from '../version';
import { exifTextTags, TAG_ARTIST, TAG_COPYRIGHT, TAG_DESCRIPTION, TAG_IPTC, TAG_XMP } from './archival';
import { type ExtraMeta, injectJpeg, injectPng, injectWebp, JPEG_XMP_MAX } from './containers';
import { emptyExif, exifBody, prepareExif } from './exif';
import { addTiffIcc, addTiffTags, type TiffTag, tiffByteOrder } from './tiff';
import {
  type ArchivalMeta,
  type DecodedImage,
  type EncodeFormat,
  ImageError,
  type ImageMeta,
  type PixelArray,
  quoteName,
} from './types';
import { mergeXmp, type XmpAdditions } from './xmp';

export type { EncodeFormat } from './types';

export const ENCODE_FORMATS: readonly EncodeFormat[] = ['png', 'jpeg', 'webp', 'tiff', 'avif'];

export interface EncodeOptions {
  format: EncodeFormat;
  /** RANGES.quality (1..100) for JPEG, WebP and AVIF (ignored by PNG and TIFF, which are lossless); default its default. */
  quality?: number;
  /** The original photo: encodeImage refuses to write over it (same path, symlink or hard link). */
  inputPath?: string;
  /** What made this output, recorded in its XMP (an xmpMM:History event and revive: properties). */
  provenance?: Provenance;
}

/** What Revive did to make an output, for its XMP (xmp.ts). */
export interface Provenance {
  /** stEvt:action; default "restored". */
  action?: string;
  /** The settings, compact (xmp.ts settingsString): stEvt:parameters and revive:Settings. */
  settings?: string;
  /** SHA-256 (hex) of the source file's content: revive:SourceSHA256, so an output names the photo it came from. */
  sourceHash?: string;
  /** Default: now. */
  when?: Date;
}

export const DEFAULT_QUALITY = RANGES.quality.default;

const EXTENSIONS: Record<EncodeFormat, string> = {
  png: '.png',
  jpeg: '.jpg',
  webp: '.webp',
  tiff: '.tif',
  avif: '.avif',
};

const NAMES: Record<EncodeFormat, string> = { png: 'PNG', jpeg: 'JPEG', webp: 'WebP', tiff: 'TIFF', avif: 'AVIF' };

/** The file extension (with the dot) for a format: .png, .jpg, .webp, .tif, .avif. */
export function outputExtension(format: EncodeFormat): string {
  const ext = EXTENSIONS[format];
  if (!ext) throw new TypeError(`unknown output format: ${String(format)}`);
  return ext;
}

/**
 * The format an output is written in. An explicit choice is kept. 'same' follows the input's extension:
 * JPEG -> jpeg, PNG -> png, TIFF -> tiff, WebP -> webp, AVIF -> avif (sharp writes AVIF);
 * GIF -> png (lossless and keeps transparency; GIF's 256 colours would undo the restoration);
 * HEIC/HEIF -> jpeg (sharp cannot write HEVC; JPEG is what every program reads; HEIC alpha, which phones do not
 * produce, is flattened onto white).
 */
export function resolveFormat(inputPath: string, format: OutputFormat): EncodeFormat {
  if (format !== 'same') {
    if (format === 'png' || format === 'jpeg' || format === 'webp' || format === 'tiff') return format;
    throw new TypeError(`unknown output format: ${String(format)}`);
  }
  const ext = path.extname(inputPath).toLowerCase();
  switch (ext) {
    case '.jpg':
    case '.jpeg':
    case '.jpe':
    case '.jfif':
      return 'jpeg';
    case '.png':
      return 'png';
    case '.tif':
    case '.tiff':
      return 'tiff';
    case '.webp':
      return 'webp';
    case '.avif':
      return 'avif';
    case '.gif':
      return 'png';
    case '.heic':
    case '.heif':
    case '.hif':
      return 'jpeg';
    default:
      throw new ImageError(
        'unsupported',
        inputPath,
        `${quoteName(inputPath)}: cannot keep the same format for a file ending in "${ext || '(no extension)'}"; ` +
          'choose PNG, JPEG, WebP or TIFF.',
      );
  }
}

/** The format a file name asks for (by extension), or null: .png, .jpg/.jpeg, .webp, .tif/.tiff, .avif. */
export function formatForPath(file: string): EncodeFormat | null {
  switch (path.extname(file).toLowerCase()) {
    case '.png':
      return 'png';
    case '.jpg':
    case '.jpeg':
    case '.jpe':
    case '.jfif':
      return 'jpeg';
    case '.webp':
      return 'webp';
    case '.tif':
    case '.tiff':
      return 'tiff';
    case '.avif':
      return 'avif';
    default:
      return null;
  }
}

function checkImage(img: DecodedImage): void {
  const { width, height, bitDepth, rgb, alpha } = img ?? ({} as DecodedImage);
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new TypeError(`invalid image size ${width} x ${height}`);
  }
  if (bitDepth !== 8 && bitDepth !== 16) throw new TypeError(`invalid bit depth ${bitDepth}`);
  const Type = bitDepth === 16 ? Uint16Array : Uint8Array;
  const n = width * height;
  if (!(rgb instanceof Type) || rgb.length !== n * 3) {
    throw new TypeError(`image rgb must be a ${Type.name} of ${n * 3} values (width * height * 3)`);
  }
  if (alpha !== undefined && (!(alpha instanceof Type) || alpha.length !== n)) {
    throw new TypeError(`image alpha must be a ${Type.name} of ${n} values (width * height)`);
  }
}

/** Grey (Rec. 709 luma of the gamma-encoded values; exact for equal channels) of interleaved RGB. */
function toGrey(rgb: PixelArray, n: number): PixelArray {
  const out = rgb instanceof Uint16Array ? new Uint16Array(n) : new Uint8Array(n);
  const max = rgb instanceof Uint16Array ? 65535 : 255;
  for (let i = 0, s = 0; i < n; i++, s += 3) {
    const v = (0.2126 * rgb[s] + 0.7152 * rgb[s + 1] + 0.0722 * rgb[s + 2] + 0.5) | 0;
    out[i] = v > max ? max : v;
  }
  return out;
}

let srgbIcc: Promise<Buffer> | null = null;
/** The sRGB ICC profile sharp/libvips ships (the one withIccProfile('srgb') embeds). */
export function srgbProfile(): Promise<Buffer> {
  srgbIcc ??= sharp({ create: { width: 1, height: 1, channels: 3, background: '#000' } })
    .withIccProfile('srgb')
    .png()
    .toBuffer()
    .then((b) => sharp(b).metadata())
    .then((m) => {
      if (!m.icc) throw new Error('sharp did not embed an sRGB profile');
      return m.icc;
    });
  return srgbIcc;
}

/** RGB composited over white by alpha (for JPEG, which has no alpha). A new array; the image is left alone. */
function flattenOnWhite(rgb: PixelArray, alpha: PixelArray, n: number): PixelArray {
  const sixteen = rgb instanceof Uint16Array;
  const out = sixteen ? new Uint16Array(3 * n) : new Uint8Array(3 * n);
  const max = sixteen ? 65535 : 255;
  const inv = 1 / max;
  for (let i = 0, s = 0; i < n; i++, s += 3) {
    const a = alpha[i];
    const bg = max * (max - a);
    out[s] = ((rgb[s] * a + bg) * inv + 0.5) | 0;
    out[s + 1] = ((rgb[s + 1] * a + bg) * inv + 0.5) | 0;
    out[s + 2] = ((rgb[s + 2] * a + bg) * inv + 0.5) | 0;
  }
  return out;
}

/** Interleaved RGBA (a new array) for pipelines that resize: sharp joins extra channels only after resizing. */
function interleaveRgba(rgb: PixelArray, alpha: PixelArray, n: number): PixelArray {
  const out = rgb instanceof Uint16Array ? new Uint16Array(4 * n) : new Uint8Array(4 * n);
  for (let i = 0, s = 0, d = 0; i < n; i++, s += 3, d += 4) {
    out[d] = rgb[s];
    out[d + 1] = rgb[s + 1];
    out[d + 2] = rgb[s + 2];
    out[d + 3] = alpha[i];
  }
  return out;
}

/**
 * A sharp pipeline over the image's pixels: grey (one channel) when asked, alpha joined as the last channel, or
 * composited onto white when `flatten`. Joining happens at the end of sharp's pipeline, so it must not be combined
 * with resize/flatten (those would see no alpha); this is only used for straight encodes.
 */
function rawInput(img: DecodedImage, grey: boolean, flatten: boolean): Sharp {
  const { width, height } = img;
  const n = width * height;
  const raw = (channels: 1 | 3) => ({ raw: { width, height, channels }, limitInputPixels: false as const });
  const rgb = flatten && img.alpha ? flattenOnWhite(img.rgb, img.alpha, n) : img.rgb;
  let s = grey ? sharp(toGrey(rgb, n), raw(1)) : sharp(rgb, raw(3));
  // sharp's typings say Buffer, but it takes any typed array and reads Uint16Array as 16-bit (a Buffer would be 8)
  if (img.alpha && !flatten) s = s.joinChannel(img.alpha as unknown as Buffer, raw(1));
  return s;
}

function clampQuality(q: number | undefined): number {
  return clampTo(RANGES.quality, q);
}

/** Whether the output should say "sRGB" explicitly: the source was colour-managed (ICC profile or CMYK). */
function tagSrgb(meta: ImageMeta | undefined): boolean {
  return !!meta && ((!!meta.icc && meta.icc.length > 0) || meta.space === 'cmyk');
}

/** The encoded bytes of an image, metadata included (see the policy at the top of this file). */
export async function encodeToBuffer(img: DecodedImage, opts: Omit<EncodeOptions, 'inputPath'>): Promise<Buffer> {
  checkImage(img);
  const { format } = opts;
  if (!ENCODE_FORMATS.includes(format)) throw new TypeError(`unknown output format: ${String(format)}`);
  const quality = clampQuality(opts.quality);
  const meta = img.meta as ImageMeta | undefined;
  const grey = !!meta?.isGrey;
  const keep16 = img.bitDepth === 16 && (format === 'png' || format === 'tiff');
  let s = rawInput(img, grey, format === 'jpeg');
  s = s.toColourspace(keep16 ? (grey ? 'grey16' : 'rgb16') : grey ? 'b-w' : 'srgb');
  if (meta?.density && meta.density > 0) s = s.withDensity(meta.density);
  switch (format) {
    case 'png':
      s = s.png({ compressionLevel: 6 });
      break;
    case 'jpeg':
      s = s.jpeg({ quality, chromaSubsampling: quality >= 90 ? '4:4:4' : '4:2:0' });
      break;
    case 'webp':
      s = s.webp({ quality, alphaQuality: 100, effort: 4 });
      break;
    case 'tiff':
      s = s.tiff({ compression: 'lzw', predictor: 'horizontal' });
      break;
    case 'avif':
      s = s.avif({ quality, effort: 4 });
      break;
  }
  const m = await archivalFor(format, meta, opts.provenance);
  if (format === 'avif' && m.xmp !== undefined) s = s.withXmp(m.xmp);
  const buf = await s.toBuffer();
  const singleChannel = grey && format !== 'webp' && format !== 'avif';
  const icc = tagSrgb(meta) && !singleChannel ? await srgbProfile() : null;
  const exifSrc = meta?.exif ?? (m.exifText ? emptyExif() : null);
  const exif = exifSrc
    ? prepareExif(exifSrc, { width: img.width, height: img.height, srgb: true, density: meta?.density, text: m.exifText })
    : null;
  const noDensity = !(meta?.density && meta.density > 0);
  const extra: ExtraMeta = { xmp: m.xmp, iptc: m.iptc, comments: m.comments, text: m.text, noDensity };
  switch (format) {
    case 'jpeg':
      return injectJpeg(buf, exif, icc, extra);
    case 'png':
      return injectPng(buf, exif, icc, extra);
    case 'webp':
      return exif || icc || m.xmp !== undefined
        ? injectWebp(buf, exif, icc, { width: img.width, height: img.height, hasAlpha: !!img.alpha }, m.xmp)
        : buf;
    case 'tiff': {
      const tagged = icc ? (addTiffIcc(buf, icc) ?? buf) : buf;
      return addTiffTags(tagged, tiffTags(tagged, m, noDensity)) ?? tagged;
    }
    default:
      return buf;
  }
}

/** The archival metadata one output format gets (the policy at the top of this file). */
interface FormatMeta {
  xmp?: string;
  iptc?: Buffer;
  comments?: string[];
  text?: ArchivalMeta['text'];
  /** Text tags to add to EXIF IFD0 (JPEG, PNG, WebP) or to write as TIFF tags. */
  exifText?: { description?: Buffer; artist?: Buffer; copyright?: Buffer };
}

const MAPPED_KEYWORDS: Record<string, 'description' | 'artist' | 'copyright'> = {
  Description: 'description',
  Author: 'artist',
  Copyright: 'copyright',
};

async function archivalFor(format: EncodeFormat, meta: ImageMeta | undefined, provenance?: Provenance): Promise<FormatMeta> {
  const a: ArchivalMeta = meta?.archival ?? {};
  const out: FormatMeta = {};
  const trio = { description: a.description, artist: a.artist, copyright: a.copyright };
  if (format === 'tiff' && meta?.exif) {
    // TIFF output carries no EXIF block: the source EXIF's text tags become the TIFF's own
    const e = await exifTextTags(exifBody(meta.exif));
    trio.description ??= e.description;
    trio.artist ??= e.artist;
    trio.copyright ??= e.copyright;
  }
  let comments = [...(a.comments ?? [])];
  if (format === 'png') {
    out.text = [...(a.text ?? []), ...comments.map((text) => ({ keyword: 'Comment', text }))];
    comments = [];
  } else {
    // PNG text elsewhere: the three with a tag become that tag (when the source has none), the rest comments
    for (const e of a.text ?? []) {
      const key = MAPPED_KEYWORDS[e.keyword];
      if (key && !trio[key]) trio[key] = Buffer.from(e.text, 'utf8');
      else comments.push(e.keyword === 'Comment' ? e.text : `${e.keyword}: ${e.text}`);
    }
  }
  if (trio.description || trio.artist || trio.copyright) out.exifText = trio;
  if (format === 'jpeg') out.comments = comments;
  if (format === 'jpeg' || format === 'png' || format === 'tiff') out.iptc = a.iptc;
  const additions: XmpAdditions = {};
  if (provenance) {
    additions.provenance = {
      action: provenance.action ?? 'restored',
      softwareAgent: `Revive ${reviveVersion()}`,
      parameters: provenance.settings,
      sourceHash: provenance.sourceHash,
      when: provenance.when,
    };
  }
  if (format !== 'jpeg' && format !== 'png' && comments.length) additions.notes = comments;
  out.xmp = mergeXmp(a.xmp, additions);
  if (format === 'jpeg' && out.xmp !== undefined && Buffer.byteLength(out.xmp) > JPEG_XMP_MAX) {
    // one APP1 segment holds 64 KB: a bigger packet (from a PNG or TIFF) cannot come along; Revive's record still does
    out.xmp = mergeXmp(undefined, additions);
  }
  return out;
}

const RESOLUTION_TAGS = [282, 283, 296]; // XResolution, YResolution, ResolutionUnit

/** The TIFF tags of an output: text tags, XMP, IPTC, and "no unit" resolution for a source without DPI. */
function tiffTags(tiff: Buffer, m: FormatMeta, noDensity: boolean): TiffTag[] {
  const le = tiffByteOrder(tiff) === 'le';
  const tags: TiffTag[] = [];
  const t = m.exifText ?? {};
  for (const [tag, bytes] of [
    [TAG_DESCRIPTION, t.description],
    [TAG_ARTIST, t.artist],
    [TAG_COPYRIGHT, t.copyright],
  ] as const) {
    if (bytes?.length) tags.push({ tag, type: 2, count: bytes.length + 1, data: Buffer.concat([bytes, Buffer.alloc(1)]) });
  }
  if (m.xmp !== undefined) {
    const data = Buffer.from(m.xmp, 'utf8');
    tags.push({ tag: TAG_XMP, type: 1, count: data.length, data });
  }
  if (m.iptc?.length) tags.push({ tag: TAG_IPTC, type: 7, count: m.iptc.length, data: m.iptc });
  if (noDensity) {
    // 1/1 with unit 1: a square pixel, no size stated (the same bytes in either byte order but the unit's)
    const one = Buffer.from(le ? [1, 0, 0, 0, 1, 0, 0, 0] : [0, 0, 0, 1, 0, 0, 0, 1]);
    const unit = Buffer.from(le ? [1, 0] : [0, 1]);
    tags.push({ tag: RESOLUTION_TAGS[0], type: 5, count: 1, data: one });
    tags.push({ tag: RESOLUTION_TAGS[1], type: 5, count: 1, data: one });
    tags.push({ tag: RESOLUTION_TAGS[2], type: 3, count: 1, data: unit });
  }
  return tags;
}

/** Whether two paths name the same file: same path, through symlinks, or hard links (same device and inode). */
export async function isSameFile(a: string, b: string): Promise<boolean> {
  const ra = path.resolve(a);
  const rb = path.resolve(b);
  if (pathKey(ra) === pathKey(rb)) return true;
  const [sa, sb] = await Promise.all([fsp.stat(ra).catch(() => null), fsp.stat(rb).catch(() => null)]);
  if (sa && sb && sa.ino !== 0 && sa.dev === sb.dev && sa.ino === sb.ino) return true;
  return pathKey(realPath(ra)) === pathKey(realPath(rb));
}

/** An ImageError for a failed write, naming the folder (or file) and the reason in plain words. */
function writeError(e: unknown, dir: string, out: string): ImageError {
  if (e instanceof ImageError) return e;
  const code = (e as NodeJS.ErrnoException)?.code;
  const where = `cannot write to ${dir}`;
  let msg: string;
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      msg = `${where}: permission denied.`;
      break;
    case 'EROFS':
      msg = `${where}: the disk or folder is read-only.`;
      break;
    case 'ENOSPC':
    case 'EDQUOT':
      msg = `${where}: the disk is full.`;
      break;
    case 'ENOENT':
      msg = `${where}: the folder does not exist.`;
      break;
    case 'ENOTDIR':
      msg = `${where}: part of that path is a file, not a folder.`;
      break;
    case 'EISDIR':
      msg = `cannot write ${out}: a folder with that name is already there.`;
      break;
    case 'ENAMETOOLONG':
      msg = `cannot write ${out}: the file name is too long.`;
      break;
    default:
      msg = `cannot write ${out}: ${e instanceof Error ? e.message : String(e)}`;
  }
  return new ImageError('unwritable', out, msg, { cause: e });
}

/**
 * Encodes `img` to `outPath`, atomically: the bytes go to a hidden temp file in the same folder
 * (".<name>.revive-tmp-<random>"), are flushed to disk, and the temp file is renamed over outPath; on any failure
 * the temp file is removed and an ImageError ('unwritable' or 'same-as-input') explains it. An existing outPath is
 * replaced, except when it is the file `opts.inputPath` names. Resolves to the absolute output path.
 */
export async function encodeImage(img: DecodedImage, outPath: string, opts: EncodeOptions): Promise<string> {
  checkImage(img);
  if (!ENCODE_FORMATS.includes(opts.format)) throw new TypeError(`unknown output format: ${String(opts.format)}`);
  const out = path.resolve(outPath);
  if (opts.inputPath && (await isSameFile(opts.inputPath, out))) {
    throw new ImageError(
      'same-as-input',
      out,
      `Refused to save over the original photo ${quoteName(opts.inputPath)}: choose another name or folder.`,
    );
  }
  const dir = path.dirname(out);
  await cleanStaleTempsOnce(dir);
  const tmp = path.join(dir, tempName(path.basename(out)));
  let fh: fsp.FileHandle | undefined;
  try {
    fh = await fsp.open(tmp, 'wx');
    LIVE_TEMPS.add(tmp);
  } catch (e) {
    throw writeError(e, dir, out);
  }
  try {
    let buf: Buffer;
    try {
      buf = await encodeToBuffer(img, opts);
    } catch (e) {
      throw new ImageError(
        'unwritable',
        out,
        `could not save ${out}: the image could not be encoded as ${NAMES[opts.format]} ` +
          `(${e instanceof Error ? e.message : String(e)}).`,
        { cause: e },
      );
    }
    await fh.writeFile(buf);
    await fh.sync();
    await fh.close();
    fh = undefined;
    await fsp.rename(tmp, out);
    return out;
  } catch (e) {
    if (fh) await fh.close().catch(() => undefined);
    await fsp.rm(tmp, { force: true }).catch(() => undefined);
    throw writeError(e, dir, out);
  } finally {
    LIVE_TEMPS.delete(tmp);
  }
}

// Temp files: ".<name>.revive-tmp-<host>-<pid>-<random>", <host> a short hash of this machine's name. A writer
// killed mid-write (kill -9, power loss) leaves one behind; the next write into that folder removes those of dead
// processes of this machine, and any older than a day (another machine's, on a shared folder).
const TEMP_TAG = '.revive-tmp-';
const HOST = createHash('sha256').update(os.hostname()).digest('hex').slice(0, 6);
const LIVE_TEMPS = new Set<string>();
const CLEANED = new Set<string>();
const NAME_MAX = 255; // bytes, on every file system Revive writes to

/** The first bytes of s that are at most maxBytes in UTF-8, cut at a character boundary. */
export function truncateUtf8(s: string, maxBytes: number): string {
  if (Buffer.byteLength(s) <= maxBytes) return s;
  let out = '';
  let bytes = 0;
  for (const ch of s) {
    const b = Buffer.byteLength(ch);
    if (bytes + b > maxBytes) break;
    out += ch;
    bytes += b;
  }
  return out;
}

/** The temp file's name for an output named `base`: within NAME_MAX bytes however long (in bytes) the name is. */
export function tempName(base: string, pid = process.pid): string {
  const suffix = `${TEMP_TAG}${HOST}-${pid}-${randomBytes(6).toString('hex')}`;
  return `.${truncateUtf8(base, NAME_MAX - 1 - Buffer.byteLength(suffix))}${suffix}`;
}

/** Whether a process of this machine is running (its temp files and claims are not stale). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the temp files in `dir` that no running writer owns: this machine's whose process is gone, and any older
 * than `maxAgeMs` (default a day). Returns the names removed. Never throws (an unreadable folder is left alone).
 */
export async function cleanStaleTemps(dir: string, maxAgeMs = 24 * 3600 * 1000): Promise<string[]> {
  let names: string[];
  try {
    names = (await fsp.readdir(dir)).filter((n) => n.startsWith('.') && n.includes(TEMP_TAG));
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const full = path.join(dir, name);
    if (LIVE_TEMPS.has(full)) continue;
    const m = /\.revive-tmp-([0-9a-f]{6})-(\d+)-[0-9a-f]+$/.exec(name);
    let stale = m !== null && m[1] === HOST && Number(m[2]) !== process.pid && !alive(Number(m[2]));
    if (!stale) {
      const st = await fsp.stat(full).catch(() => null);
      stale = !!st && st.isFile() && Date.now() - st.mtimeMs > maxAgeMs;
    }
    if (stale && (await fsp.rm(full, { force: true }).then(() => true, () => false))) removed.push(name);
  }
  return removed;
}

async function cleanStaleTempsOnce(dir: string): Promise<void> {
  if (CLEANED.has(dir)) return;
  CLEANED.add(dir);
  await cleanStaleTemps(dir);
}

/**
 * Removes this process's temp files now, synchronously: for a quit in the middle of a write (a second Ctrl-C), so
 * that leaving at once still leaves nothing half-written behind.
 */
export function removeLiveTempsSync(): void {
  for (const t of LIVE_TEMPS) {
    try {
      fs.rmSync(t, { force: true });
    } catch {
      // best effort on the way out
    }
  }
  LIVE_TEMPS.clear();
}

/**
 * A preview for the app: fits inside maxSize x maxSize (never enlarged), 8-bit sRGB, JPEG (quality 85) when
 * opaque, PNG when the image has alpha.
 */
export async function encodePreview(img: DecodedImage, maxSize: number): Promise<PreviewImage> {
  checkImage(img);
  if (!(maxSize > 0)) throw new RangeError(`maxSize must be positive, got ${maxSize}`);
  const { width, height } = img;
  const opts = (channels: 3 | 4) => ({ raw: { width, height, channels }, limitInputPixels: false as const });
  let s = img.alpha
    ? sharp(interleaveRgba(img.rgb, img.alpha, width * height), opts(4))
    : sharp(img.rgb, opts(3));
  if (width > maxSize || height > maxSize) {
    const m = Math.max(1, Math.floor(maxSize));
    s = s.resize({ width: m, height: m, fit: 'inside', withoutEnlargement: true });
  }
  s = s.toColourspace('srgb');
  s = img.alpha ? s.png({ compressionLevel: 3 }) : s.jpeg({ quality: 85 });
  const { data, info } = await s.toBuffer({ resolveWithObject: true });
  return {
    bytes: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    mime: img.alpha ? 'image/png' : 'image/jpeg',
    width: info.width,
    height: info.height,
    fullWidth: img.width,
    fullHeight: img.height,
  };
}
