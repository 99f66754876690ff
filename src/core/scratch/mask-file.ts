// Damage masks as files: what `revive restore --save-mask` writes and `--mask` reads, and what the app shows over a
// restored photo and sends back after the user corrected it. A mask is a greyscale PNG of the photo's size: white
// (> 127) = damage to fill, black = keep. A mask with transparency counts only its opaque light pixels, so a stroke
// layer painted on a transparent canvas works as a mask too. Writes are atomic (encodeImage).
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { decodeImage } from '../image/decode';
import { encodeImage } from '../image/encode';
import { ImageError, type DecodedImage } from '../image/types';

// A mask the scratch stage found and saved carries a PNG text chunk saying so: `--mask` with that file unchanged fills
// it as the stage did (the guided fill may keep what is really the photo's under it), so --save-mask then --mask
// gives the same photo. Any other mask (painted in the app, drawn in an editor that drops the chunk) is filled plain:
// what a person marked goes.
const SOURCE_KEYWORD = 'Revive mask source';
const DETECTED = 'detected';

/** Reads a mask file for a photo of w x h: 1 = fill. A mask of another size is refused with a clear message. */
export async function readMask(file: string, w: number, h: number): Promise<Uint8Array> {
  return (await readMaskFile(file, w, h)).mask;
}

/** readMask, and whether the file is a mask the detector found (written with `detected`, unchanged since). */
export async function readMaskFile(file: string, w: number, h: number): Promise<{ mask: Uint8Array; detected: boolean }> {
  const img = await decodeImage(file);
  if (img.width !== w || img.height !== h) {
    throw new ImageError(
      'unsupported',
      file,
      `The mask ${path.basename(file)} is ${img.width}x${img.height} pixels, but the photo is ${w}x${h}: a mask must ` +
        'be the size of the photo it belongs to.',
    );
  }
  const half = img.bitDepth === 16 ? 32767 : 127;
  const n = w * h;
  const mask = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const lit = img.rgb[i * 3] > half || img.rgb[i * 3 + 1] > half || img.rgb[i * 3 + 2] > half;
    mask[i] = lit && (!img.alpha || img.alpha[i] > half) ? 1 : 0;
  }
  const detected = !!img.meta?.archival?.text?.some((e) => e.keyword === SOURCE_KEYWORD && e.text === DETECTED);
  return { mask, detected };
}

/**
 * Writes a mask (1 = fill) as a greyscale PNG (white = fill), atomically, making its folder when missing; `detected`:
 * the scratch stage found it (readMaskFile tells). Resolves to the absolute path.
 */
export async function writeMask(file: string, mask: Uint8Array, w: number, h: number, opts: { detected?: boolean } = {}): Promise<string> {
  const rgb = new Uint8Array(w * h * 3);
  for (let i = 0; i < w * h; i++) if (mask[i]) rgb[i * 3] = rgb[i * 3 + 1] = rgb[i * 3 + 2] = 255;
  const img: DecodedImage = {
    width: w,
    height: h,
    bitDepth: 8,
    rgb,
    meta: {
      format: 'png',
      width: w,
      height: h,
      bitDepth: 8,
      hasAlpha: false,
      isGrey: true,
      space: 'b-w',
      ...(opts.detected ? { archival: { text: [{ keyword: SOURCE_KEYWORD, text: DETECTED }] } } : {}),
    },
  };
  await fsp.mkdir(path.dirname(path.resolve(file)), { recursive: true });
  return encodeImage(img, file, { format: 'png' });
}

/**
 * Where `--save-mask TARGET` puts the mask of the photo `input`: TARGET itself when it names a .png file, otherwise
 * TARGET is a folder and the mask is `<photo's name>.mask.png` in it (a batch writes one mask per photo).
 */
export function maskTarget(target: string, input: string): string {
  if (/\.png$/i.test(target)) return path.resolve(target);
  return path.resolve(target, `${path.basename(input)}.mask.png`);
}

/**
 * maskTarget for every photo of one job, each photo its own file: when two photos of a batch have the same name (a.jpg
 * in two folders) and the target is a folder, the second one's mask is `<name>.2.mask.png`, and so on.
 */
export class MaskTargets {
  private readonly taken = new Map<string, string>(); // mask file -> the photo it belongs to

  constructor(private readonly target: string) {}

  for(input: string): string {
    const first = maskTarget(this.target, input);
    if (/\.png$/i.test(this.target)) return first; // one file named: the CLI's single photo
    let file = first;
    for (let k = 2; this.taken.has(file) && this.taken.get(file) !== input; k++) file = first.replace(/\.mask\.png$/i, `.${k}.mask.png`);
    this.taken.set(file, input);
    return file;
  }
}
