// The colour & fading strength and mode, changed live on the result's preview: no engine job. The restore ran the tone
// stage at one strength and mode (FileResult.info.tone: the photo's mapping, ToneInfo) before the local network; the
// preview at another strength s' and mode is the result plus what the change does to the original:
//     after' = after + T'(before) - T(before)
// with T the mapping as applied and T' the new one (src/shared/tone.ts applies both, the same code the engine ran).
// Exact for the tone stage alone; with the local network after it, exact up to how the network treats the change of
// colour (it restores detail, not colour). Saving the new strength applies it for real at the next restore.
import { applyToneMapping, withMode, type ToneInfo, type ToneMode } from '../../shared/tone';
import type { Picture } from './preview';

export interface ToneChoice {
  strength: number;
  mode: ToneMode;
}

/** Whether the choice differs from what the result was made with. */
export function toneChanged(info: ToneInfo, choice: ToneChoice): boolean {
  return Math.abs(info.strength - choice.strength) > 1e-6 || info.mode !== choice.mode;
}

async function pixels(url: string, w: number, h: number): Promise<ImageData> {
  const img = new Image();
  img.src = url;
  await img.decode();
  const c = new OffscreenCanvas(w, h);
  const g = c.getContext('2d', { willReadFrequently: true });
  if (!g) throw new Error('no 2D canvas');
  g.drawImage(img, 0, 0, w, h);
  return g.getImageData(0, 0, w, h);
}

/** The same change of tone on RGBA pixel arrays (pure): after + T'(before) - T(before), alpha of `after` kept. */
export function retonePixels(
  before: Uint8ClampedArray,
  after: Uint8ClampedArray,
  info: ToneInfo,
  choice: ToneChoice,
): Uint8ClampedArray<ArrayBuffer> {
  const was = new Uint8ClampedArray(before.length);
  const now = new Uint8ClampedArray(before.length);
  applyToneMapping(before, was, 4, 255, info, info.strength);
  applyToneMapping(before, now, 4, 255, withMode(info, choice.mode), choice.strength);
  const out = new Uint8ClampedArray(after.length);
  for (let i = 0; i < after.length; i += 4) {
    out[i] = after[i] + now[i] - was[i];
    out[i + 1] = after[i + 1] + now[i + 1] - was[i + 1];
    out[i + 2] = after[i + 2] + now[i + 2] - was[i + 2];
    out[i + 3] = after[i + 3];
  }
  return out;
}

/** The result's preview at the new choice, as a new Picture (PNG blob) of the result preview's size. */
export async function retonePicture(before: Picture, after: Picture, info: ToneInfo, choice: ToneChoice): Promise<Picture> {
  const { width: w, height: h } = after;
  const [b, a] = await Promise.all([pixels(before.url, w, h), pixels(after.url, w, h)]);
  const out = new ImageData(retonePixels(b.data, a.data, info, choice), w, h);
  const c = new OffscreenCanvas(w, h);
  c.getContext('2d')!.putImageData(out, 0, 0);
  const blob = await c.convertToBlob({ type: 'image/png' });
  return { ...after, url: URL.createObjectURL(blob), bytes: blob.size };
}
