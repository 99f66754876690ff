// src/core/image: decode, encode, metadata, previews, and the planar float helpers the restore engine uses.
export { decodeImage, formatName, probeImage } from './decode';
export {
  DEFAULT_QUALITY,
  ENCODE_FORMATS,
  encodeImage,
  encodePreview,
  encodeToBuffer,
  formatForPath,
  isSameFile,
  outputExtension,
  resolveFormat,
  srgbProfile,
  type EncodeOptions,
} from './encode';
export { readExifOrientation } from './exif';
export { createImageLike, toPlanarFloat, writePlanarFloat, type PixelImage } from './planar';
export {
  ImageError,
  isImageError,
  MAX_PIXELS,
  type DecodedImage,
  type EncodeFormat,
  type ImageErrorCode,
  type ImageMeta,
  type InputFormat,
  type PixelArray,
  type Rect,
} from './types';
