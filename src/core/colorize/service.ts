// The colorize side of EngineService (one request method, `colorize`): a quick preview at a reduced size while the
// person paints (no round kept; the scaled photo is cached so each stroke costs only the colouring), or the full
// resolution result kept as a new refine round, so it can be saved, compared and refined further like any round.
import sharp from 'sharp';
import type { ColorizeRequest, ColorizeResult } from '../../shared/api';
import type { RefinePhoto, RefineRunner } from '../refine/runner';
import { colorizeImage } from './colorize';
import { decodeColorStrokes } from './inputs';

/** The preview's working resolution (the full result's is 640): a preview costs well under a second. */
const PREVIEW_WORK_SIZE = 400;

interface Scaled<P> {
  key: string;
  size: number;
  image: P;
}

export class ColorizeService<P extends RefinePhoto = RefinePhoto> {
  private scaled: Scaled<P> | null = null;

  constructor(private readonly runner: RefineRunner<P>) {}

  async colorize(req: ColorizeRequest): Promise<ColorizeResult> {
    if (req.previewSize) {
      const small = await this.small(req.source, req.previewSize);
      const strokes = await decodeColorStrokes(req.strokes, small.width, small.height, true);
      const { image } = colorizeImage(small, strokes, { workSize: PREVIEW_WORK_SIZE });
      return { preview: await this.runner.preview(image) };
    }
    const { original, image: photo } = await this.runner.photo(req.source);
    const strokes = await decodeColorStrokes(req.strokes, photo.width, photo.height);
    const { image } = colorizeImage(photo, strokes);
    const { id, dropped } = await this.runner.keep(original, image);
    return { roundId: id, preview: await this.runner.preview(image), ...(dropped.length ? { dropped } : {}) };
  }

  /** The photo scaled to fit `size` (8-bit, no alpha), kept for the next preview of the same source and size. */
  private async small(source: ColorizeRequest['source'], size: number): Promise<P> {
    const key = 'roundId' in source ? `round:${source.roundId}` : `path:${source.path}`;
    if (this.scaled?.key === key && this.scaled.size === size) return this.scaled.image;
    const { image: photo } = await this.runner.photo(source);
    const rgb8 = photo.bitDepth === 16 ? Uint8Array.from(photo.rgb, (v) => v >> 8) : (photo.rgb as Uint8Array);
    let s = sharp(rgb8, { raw: { width: photo.width, height: photo.height, channels: 3 }, limitInputPixels: false });
    if (photo.width > size || photo.height > size) s = s.resize({ width: size, height: size, fit: 'inside' });
    const { data, info } = await s.raw().toBuffer({ resolveWithObject: true });
    // the photo's own kind (its metadata kept for the preview's encoder), at the preview's size, 8-bit, no alpha
    const image = {
      ...photo,
      width: info.width,
      height: info.height,
      bitDepth: 8 as const,
      rgb: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
      alpha: undefined,
    } as P;
    this.scaled = { key, size, image };
    return image;
  }
}
