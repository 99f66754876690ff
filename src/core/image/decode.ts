// Reading photos: probeImage (header only, refuses what Revive will not open) and decodeImage (pixels: upright,
// sRGB, interleaved RGB with alpha apart, 16-bit kept). sharp/libvips does the work; HEIC goes through the
// heic-decode WebAssembly decoder because sharp's prebuilt libvips has no HEVC decoder (its libheif only reads AVIF).
//
// Colour: every decoded image is sRGB. An embedded ICC profile (Adobe RGB scans, Display P3 phone photos, grey
// "Dot Gain" profiles, CMYK profiles) is converted from; CMYK without a profile goes through sharp's built-in CMYK
// profile. 8-bit sources are converted by sharp's input transform to sRGB. For 16-bit RGB sources sharp's input
// transform targets Display P3 (its 16-bit working space), so decode adds an explicit 16-bit P3 -> sRGB transform.
// 16-bit grey sources with a profile are left as they are (sharp does not transform GREY16; grey gamma profiles
// differ from sRGB's curve only slightly). A profile that declares itself sRGB is not applied at all (icc.ts).
//
// Memory: the decoded buffer is sharp's own output buffer, viewed, not copied; with alpha, RGB is compacted in place
// and only the alpha plane is new (so the RGB view keeps a buffer 4/3 its size alive, never two full copies).
import { MAX_SIDE } from '../../shared/limits';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import sharp, { type Metadata } from 'sharp';
import { readArchival } from './archival';
import { isSrgbProfile } from './icc';
import { isTruncated, readHead, sniff } from './sniff';
import { wrapRgbaAsTiff } from './tiff';
import {
  type DecodedImage,
  ImageError,
  type ImageMeta,
  type InputFormat,
  MAX_PIXELS,
  type PixelArray,
  quoteName,
} from './types';

export { ImageError, isImageError, MAX_PIXELS } from './types';
export type { DecodedImage, ImageErrorCode, ImageMeta, InputFormat, PixelArray } from './types';

const SUPPORTED: readonly InputFormat[] = ['jpeg', 'png', 'tiff', 'webp', 'gif', 'heif'];
const SUPPORTED_WORDS = 'JPEG, PNG, TIFF, WebP, AVIF, GIF and HEIC';

export function formatName(format: string, compression?: string): string {
  switch (format) {
    case 'jpeg':
      return 'JPEG';
    case 'png':
      return 'PNG';
    case 'tiff':
      return 'TIFF';
    case 'webp':
      return 'WebP';
    case 'gif':
      return 'GIF';
    case 'heif':
      return compression === 'av1' ? 'AVIF' : 'HEIC';
    default:
      return format.toUpperCase();
  }
}

function megapixels(n: number): string {
  return (n / 1e6).toFixed(n >= 1e7 ? 0 : 1).replace(/\.0$/, '');
}

function errText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** An ImageError for a failed read of the file itself (missing, no permission, a folder, ...). */
function fileError(file: string, e: unknown): ImageError {
  const q = quoteName(file);
  const code = (e as NodeJS.ErrnoException)?.code;
  let msg: string;
  if (code === 'ENOENT' || code === 'ENOTDIR') msg = `${q} does not exist (it may have been moved or deleted).`;
  else if (code === 'EACCES' || code === 'EPERM') msg = `${q} cannot be opened: permission denied.`;
  else if (code === 'EISDIR') msg = `${q} is a folder, not a photo.`;
  else if (code === 'EMFILE' || code === 'ENFILE') msg = `${q} cannot be opened right now: too many files are open.`;
  else msg = `${q} cannot be read (${errText(e)}).`;
  return new ImageError('unreadable', file, msg, { cause: e });
}

function tooLarge(file: string, w: number, h: number): ImageError {
  return new ImageError(
    'too-large',
    file,
    `${quoteName(file)} is too large to open: ${w} × ${h} pixels (${megapixels(w * h)} megapixels). ` +
      `Revive opens photos of up to ${megapixels(MAX_PIXELS)} megapixels (${MAX_SIDE} × ${MAX_SIDE}).`,
  );
}

function truncated(file: string, format: string, compression?: string, cause?: unknown): ImageError {
  return new ImageError(
    'truncated',
    file,
    `${quoteName(file)} is incomplete: the file ends before the ${formatName(format, compression)} image does ` +
      `(it was probably cut off while being copied or downloaded), so the photo cannot be opened.`,
    { cause },
  );
}

function unsupported(file: string, what: string, cause?: unknown): ImageError {
  return new ImageError(
    'unsupported',
    file,
    `${quoteName(file)} is ${what}, which Revive cannot open. Revive opens ${SUPPORTED_WORDS} photos.`,
    { cause },
  );
}

/** 'a'/'an' before a format name as it is spoken ("an AVIF", "an SVG", "a JPEG", "an OpenEXR"). */
const article = (s: string) => (/^[AEFILMNORSX]([A-Z]|$)|^[AEIOUaeiou][a-z]/.test(s) ? `an ${s}` : `a ${s}`);

/** Turns a failed header read or decode into the ImageError that explains it. */
async function explain(file: string, format: InputFormat, e: unknown, compression?: string): Promise<ImageError> {
  if (e instanceof ImageError) return e;
  const code = (e as NodeJS.ErrnoException)?.code;
  if (code) return fileError(file, e);
  const msg = errText(e);
  if (/input file is missing/i.test(msg)) return fileError(file, Object.assign(new Error(msg), { code: 'ENOENT' }));
  if (/exceeds pixel limit/i.test(msg)) {
    return new ImageError('too-large', file, `${quoteName(file)} is too large to open.`, { cause: e });
  }
  if (await isTruncated(file, format, msg)) return truncated(file, format, compression, e);
  const name = formatName(format, compression);
  if (/not been built in|not supported|unsupported/i.test(msg)) {
    return unsupported(file, `${article(name)} image of a kind (${msg.split('\n')[0]})`, e);
  }
  return new ImageError(
    'unreadable',
    file,
    `${quoteName(file)} could not be read: the ${name} data is damaged (${msg.split('\n')[0].trim()}).`,
    { cause: e },
  );
}

function depthOf(m: Metadata): 8 | 16 {
  return m.depth === 'uchar' || m.depth === 'char' ? 8 : 16;
}

/**
 * What a photo is, from its header only (no pixels decoded). Throws ImageError: 'empty', 'not-an-image',
 * 'truncated', 'too-large' (more than MAX_PIXELS declared pixels), 'unsupported', 'unreadable'.
 */
export async function probeImage(file: string): Promise<ImageMeta> {
  let size: number;
  try {
    const st = await fsp.stat(file);
    if (st.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    if (!st.isFile()) {
      throw new ImageError('unreadable', file, `${quoteName(file)} is not a regular file, so it cannot be a photo.`);
    }
    size = st.size;
  } catch (e) {
    throw e instanceof ImageError ? e : fileError(file, e);
  }
  if (size === 0) {
    throw new ImageError('empty', file, `${quoteName(file)} is empty (0 bytes): there is no photo in it.`);
  }
  let head: Uint8Array;
  try {
    head = await readHead(file);
  } catch (e) {
    throw fileError(file, e);
  }
  const sn = sniff(head);
  if (sn.kind === 'unknown') {
    const ext = path.extname(file);
    throw new ImageError(
      'not-an-image',
      file,
      `${quoteName(file)} is not an image: its contents are not a photo in any format Revive knows` +
        (ext ? `, even though its name ends in "${ext}".` : '.'),
    );
  }
  if (sn.kind === 'unsupported') throw unsupported(file, `${article(sn.name)} file`);

  let m: Metadata;
  try {
    // header only; the pixel limit is checked below, with the declared size in the message
    m = await sharp(file, { limitInputPixels: false }).metadata();
  } catch (e) {
    throw await explain(file, sn.format, e, sn.brand === 'avif' ? 'av1' : undefined);
  }
  const format = m.format as string;
  if (!SUPPORTED.includes(format as InputFormat)) throw unsupported(file, `${article(formatName(format))} file`);
  if (format === 'heif' && m.compression !== 'hevc' && m.compression !== 'av1') {
    throw unsupported(file, `a HEIF image compressed with ${m.compression ?? 'an unknown codec'}`);
  }
  const w = m.width;
  const h = m.height;
  if (!(w > 0 && h > 0)) {
    throw new ImageError('unreadable', file, `${quoteName(file)} could not be read: it declares no image size.`);
  }
  if (w * h > MAX_PIXELS) throw tooLarge(file, w, h);

  const isHeic = format === 'heif' && m.compression === 'hevc';
  // HEIF orientation (irot/imir) is applied by the decoder and is already in width/height; EXIF's is advisory there
  const orientation = m.orientation && m.orientation >= 1 && m.orientation <= 8 ? m.orientation : undefined;
  const swap = format !== 'heif' && orientation !== undefined && orientation >= 5;
  const meta: ImageMeta = {
    format: format as InputFormat,
    width: swap ? h : w,
    height: swap ? w : h,
    bitDepth: isHeic ? 8 : depthOf(m), // heic-decode gives 8 bits a channel
    hasAlpha: !!m.hasAlpha,
    isGrey: m.space === 'b-w' || m.space === 'grey16',
    space: m.space,
  };
  if (format === 'heif') meta.compression = m.compression as 'hevc' | 'av1';
  if (m.icc && m.icc.length) meta.icc = m.icc;
  if (m.exif && m.exif.length) meta.exif = m.exif;
  if (m.density && m.density > 0) meta.density = m.density;
  if (orientation !== undefined) meta.orientation = orientation;
  if (m.pages) meta.pages = m.pages;
  return meta;
}

/** A Uint16Array over a Buffer's bytes (copied only when the buffer is not 2-byte aligned). */
function u16view(b: Buffer): Uint16Array {
  if (b.byteOffset % 2 === 0) return new Uint16Array(b.buffer, b.byteOffset, b.length >> 1);
  const out = new Uint16Array(b.length >> 1);
  new Uint8Array(out.buffer).set(b);
  return out;
}

/**
 * Splits interleaved RGB / RGBA samples into the DecodedImage layout, in place: RGB compacted to the front of the
 * same buffer, alpha copied out (or dropped when keepAlpha is false).
 */
function split(
  arr: PixelArray,
  n: number,
  channels: number,
  keepAlpha: boolean,
): { rgb: PixelArray; alpha?: PixelArray } {
  if (channels === 3) return { rgb: arr.length === 3 * n ? arr : arr.subarray(0, 3 * n) };
  if (channels !== 4) throw new Error(`unexpected ${channels} channels`);
  const alpha = keepAlpha ? (arr instanceof Uint16Array ? new Uint16Array(n) : new Uint8Array(n)) : undefined;
  // forward compaction is safe: the write index 3i+k never passes the read index 4i+k
  for (let i = 0, s = 0, d = 0; i < n; i++, s += 4, d += 3) {
    arr[d] = arr[s];
    arr[d + 1] = arr[s + 1];
    arr[d + 2] = arr[s + 2];
    if (alpha) alpha[i] = arr[s + 3];
  }
  return { rgb: arr.subarray(0, 3 * n), alpha };
}

function assemble(
  data: Buffer,
  info: { width: number; height: number; channels: number },
  bitDepth: 8 | 16,
  meta: ImageMeta,
  keepAlpha: boolean,
): DecodedImage {
  const { width, height, channels } = info;
  const arr: PixelArray = bitDepth === 16 ? u16view(data) : new Uint8Array(data.buffer, data.byteOffset, data.length);
  const n = width * height;
  if (arr.length < n * channels) throw new Error('the decoder returned fewer pixels than the image has');
  const { rgb, alpha } = split(arr, n, channels, keepAlpha);
  const out: DecodedImage = {
    width,
    height,
    bitDepth,
    rgb,
    meta: { ...meta, width, height, bitDepth, hasAlpha: !!alpha },
  };
  if (alpha) out.alpha = alpha;
  return out;
}

async function decodeWithSharp(file: string, meta: ImageMeta): Promise<DecodedImage> {
  const sixteen = meta.bitDepth === 16;
  const ignoreIcc = isSrgbProfile(meta.icc); // already sRGB: no transform (see icc.ts)
  let s = sharp(file, { failOn: 'truncated', limitInputPixels: MAX_PIXELS, autoOrient: true, ignoreIcc });
  // 16-bit RGB with a profile: sharp's input transform went to P3 (its 16-bit working space); finish to sRGB
  if (sixteen && meta.icc && !ignoreIcc && meta.space === 'rgb16') s = s.withIccProfile('srgb', { attach: false });
  s = sixteen ? s.toColourspace('rgb16').raw({ depth: 'ushort' }) : s.toColourspace('srgb').raw();
  const { data, info } = await s.toBuffer({ resolveWithObject: true });
  return assemble(data, info, sixteen ? 16 : 8, meta, true);
}

const HEIC_DECODE_BRANDS = new Set(['mif1', 'msf1', 'heic', 'heix', 'hevc', 'hevx']);

interface HeicResult {
  width: number;
  height: number;
  data: Uint8ClampedArray;
}

async function decodeHeic(file: string, meta: ImageMeta): Promise<DecodedImage> {
  const { default: decode } = await import('heic-decode');
  const buffer = await fsp.readFile(file);
  // heic-decode checks the major brand against a short list (libheif itself does not care): present others as mif1
  if (!HEIC_DECODE_BRANDS.has(buffer.toString('latin1', 8, 12))) buffer.write('mif1', 8, 'latin1');
  const { width, height, data } = (await decode({ buffer })) as HeicResult;
  if (width * height > MAX_PIXELS) throw tooLarge(file, width, height);
  const channels = meta.hasAlpha ? 4 : 3;
  if (meta.icc && !isSrgbProfile(meta.icc)) {
    // the decoder gives the coded (e.g. Display P3) values: let sharp convert them from the embedded profile
    const tiff = wrapRgbaAsTiff(data, width, height, channels, meta.icc);
    const out = await sharp(tiff, { limitInputPixels: MAX_PIXELS })
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
    return assemble(out.data, out.info, 8, meta, true);
  }
  const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return assemble(bytes, { width, height, channels: 4 }, 8, meta, meta.hasAlpha);
}

/**
 * Decodes a photo: EXIF orientation applied, converted to sRGB (ICC profile, CMYK), alpha split off, 16-bit
 * sources kept at 16 bits, only the first page/frame. meta.archival holds the XMP, IPTC, comments and text the file
 * carries (archival.ts), for encode to write back. Throws ImageError like probeImage, plus 'truncated' /
 * 'unreadable' for files whose header is fine but whose data is cut short or damaged.
 */
export async function decodeImage(file: string): Promise<DecodedImage> {
  const meta = await probeImage(file);
  // HEIF/AVIF and GIF: only their XMP is carried, as libvips reads it
  const other = meta.format === 'heif' || meta.format === 'gif';
  const xmp = other ? (await sharp(file, { limitInputPixels: false }).metadata().catch(() => null))?.xmp : undefined;
  const { archival, densityStated } = await readArchival(file, meta.format, xmp);
  if (archival) meta.archival = archival;
  // libvips reports 72 dpi for a JPEG that states none (no JFIF density, JFIF "aspect ratio only", no EXIF
  // resolution): that is a reader's default, not the scan's, and must not be written into the output as a fact
  if (densityStated === false) delete meta.density;
  try {
    if (meta.format === 'heif' && meta.compression === 'hevc') return await decodeHeic(file, meta);
    return await decodeWithSharp(file, meta);
  } catch (e) {
    throw await explain(file, meta.format, e, meta.compression);
  }
}
