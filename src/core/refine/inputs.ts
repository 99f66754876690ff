// The strokes and mask images a refine request carries (PNG bytes from the app, files for the CLI), as pixel maps.
import sharp from 'sharp';
import { RefineError } from './sdedit';

async function raw(bytes: Uint8Array, what: 'strokes' | 'mask', w: number, h: number) {
  const are = what === 'strokes' ? 'are' : 'is';
  let out;
  try {
    out = await sharp(bytes).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  } catch {
    throw new RefineError(`the ${what} ${are} not a readable image`);
  }
  const { data, info } = out;
  if (info.width !== w || info.height !== h) {
    throw new RefineError(`the ${what} ${are} ${info.width}x${info.height} but the photo is ${w}x${h}; they must be the same size`);
  }
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength); // RGBA, 8-bit (sharp's raw default)
}

/** RGBA strokes, 8-bit, w*h*4: painted where alpha > 0. */
export async function decodeStrokes(bytes: Uint8Array, w: number, h: number): Promise<Uint8Array> {
  return raw(bytes, 'strokes', w, h);
}

/**
 * A mask image as w*h bytes, 1 = may change. With transparency anywhere, alpha > 0 means "may change"; an opaque mask
 * means "may change" where it is light (grey level >= 128).
 */
export async function decodeMask(bytes: Uint8Array, w: number, h: number): Promise<Uint8Array> {
  const px = await raw(bytes, 'mask', w, h);
  const n = w * h;
  let opaque = true;
  for (let i = 0; i < n && opaque; i++) if (px[4 * i + 3] !== 255) opaque = false;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    out[i] = opaque ? (px[4 * i] * 299 + px[4 * i + 1] * 587 + px[4 * i + 2] * 114 >= 128000 ? 1 : 0) : px[4 * i + 3] > 0 ? 1 : 0;
  }
  return out;
}
