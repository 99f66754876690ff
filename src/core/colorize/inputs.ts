// The strokes image of a colorize request (PNG bytes from the app, a file for the CLI) as RGBA pixels the photo's
// size. The app's live preview paints at preview size, so a strokes image of the photo's shape but another size is
// scaled to fit when `resize` is set; otherwise the sizes must match.
import sharp from 'sharp';
import { decodeStrokes } from '../refine/inputs';
import { ColorizeError } from './colorize';

export async function decodeColorStrokes(bytes: Uint8Array, w: number, h: number, resize = false): Promise<Uint8Array> {
  if (!resize) {
    try {
      return await decodeStrokes(bytes, w, h);
    } catch (e) {
      throw new ColorizeError((e as Error).message);
    }
  }
  let out;
  try {
    out = await sharp(bytes).ensureAlpha().resize(w, h, { fit: 'fill', kernel: 'linear' }).raw().toBuffer({ resolveWithObject: true });
  } catch {
    throw new ColorizeError('the strokes are not a readable image');
  }
  return new Uint8Array(out.data.buffer, out.data.byteOffset, out.data.byteLength);
}
