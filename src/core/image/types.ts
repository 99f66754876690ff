// Types and the error class of src/core/image. Plain data only; no sharp here.
import { MAX_SIDE } from '../../shared/limits';

/** Largest image (declared width x height) the engine opens: 16384 x 16384 = 268,435,456 pixels. */
export const MAX_PIXELS = MAX_SIDE * MAX_SIDE;

/** Input formats as sharp names them ('heif' covers both HEIC (compression 'hevc') and AVIF ('av1')). */
export type InputFormat = 'jpeg' | 'png' | 'tiff' | 'webp' | 'gif' | 'heif';

/** Formats encodeImage writes. 'avif' only arises from resolveFormat(x.avif, 'same'). */
export type EncodeFormat = 'png' | 'jpeg' | 'webp' | 'tiff' | 'avif';

export type PixelArray = Uint8Array | Uint16Array;

export interface ImageMeta {
  /** sharp's name of the decoder: jpeg, png, tiff, webp, gif, heif. */
  format: InputFormat;
  /** For heif only: 'hevc' (HEIC) or 'av1' (AVIF). */
  compression?: 'hevc' | 'av1';
  /** As the photo is shown: after EXIF orientation (for a decoded image, its own size). */
  width: number;
  height: number;
  /** 16 for 16-bit (and deeper) sources, else 8; for a decoded image, its own depth. */
  bitDepth: 8 | 16;
  hasAlpha: boolean;
  /** A greyscale source (its pixels are still decoded as 3 equal channels); encode writes grey back. */
  isGrey: boolean;
  /** sharp's colour space name of the source: srgb, rgb16, b-w, grey16, cmyk, ... */
  space: string;
  /** The source's embedded ICC profile (the decoded pixels are already converted from it to sRGB). */
  icc?: Buffer;
  /** The source's raw EXIF block as sharp gives it (may start with "Exif\0\0"). */
  exif?: Buffer;
  /** Dots per inch, when the file says. */
  density?: number;
  /** The source's EXIF orientation (1..8); the decoded pixels are already turned upright. */
  orientation?: number;
  /** Pages/frames in the file (only the first, or the primary HEIF image, is decoded). */
  pages?: number;
  /** What archivists write into a photo besides EXIF: captions, keywords, people, comments (archival.ts). */
  archival?: ArchivalMeta;
}

/** A PNG text chunk (tEXt, zTXt or iTXt) as its keyword and text. */
export interface TextEntry {
  keyword: string;
  text: string;
  /** iTXt only: the language tag and the translated keyword. */
  lang?: string;
  translated?: string;
}

/**
 * The source's descriptive metadata, read by archival.ts from the file itself, written back by encode.ts into each
 * output format where it has a place (docs/metadata.md has the table).
 */
export interface ArchivalMeta {
  /** The XMP packet (XML text): captions, keywords, people, dates, ratings... */
  xmp?: string;
  /** IPTC-IIM records (the bytes of Photoshop's resource 0x0404 / TIFF tag 33723). */
  iptc?: Buffer;
  /** JPEG comments (COM segments), in file order. */
  comments?: string[];
  /** PNG text chunks, in file order (XMP and raw profiles are not among them). */
  text?: TextEntry[];
  /** TIFF (or EXIF IFD0) ImageDescription, Artist and Copyright, as the file's bytes (no trailing NUL). */
  description?: Buffer;
  artist?: Buffer;
  copyright?: Buffer;
}

/** A decoded photo: sRGB, upright, interleaved RGB (HWC, always 3 channels), alpha apart. */
export interface DecodedImage {
  width: number;
  height: number;
  bitDepth: 8 | 16;
  /** width * height * 3 values: Uint8Array for 8-bit, Uint16Array for 16-bit. */
  rgb: PixelArray;
  /** width * height values of the same type as rgb, when the source has transparency. */
  alpha?: PixelArray;
  meta: ImageMeta;
}

/** A rectangle of an image in pixels. */
export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

export type ImageErrorCode =
  | 'empty' // a 0-byte file
  | 'not-an-image' // contents are not an image at all (text, a document, ...)
  | 'truncated' // an image file that was cut short
  | 'too-large' // more than MAX_PIXELS declared pixels
  | 'unsupported' // an image, but in a format (or variant) Revive does not read
  | 'unreadable' // missing, a folder, no permission, or damaged
  | 'unwritable' // encode: cannot write the output (permissions, disk full, not a folder, encoder failure)
  | 'same-as-input'; // encode: the output would replace the original photo

/** An error with words a person understands (the message names the file) and a code for programs. */
export class ImageError extends Error {
  readonly code: ImageErrorCode;
  readonly file: string;
  constructor(code: ImageErrorCode, file: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ImageError';
    this.code = code;
    this.file = file;
  }
}

export function isImageError(e: unknown, code?: ImageErrorCode): e is ImageError {
  return e instanceof ImageError && (code === undefined || e.code === code);
}

/** How a file is named in messages: its path as given, quoted. */
export function quoteName(file: string): string {
  return `"${file}"`;
}

