// The runner's link to the rest of the engine: photos through src/core/image (decode with EXIF orientation and
// colour management; atomic encode keeping metadata), the model through src/core/models + inference (SessionCache,
// the same execution providers and fallbacks as restore).
import path from 'node:path';
import { RANGES } from '../../shared/limits';
import type { RefineSettings } from '../../shared/types';
import { decodeImage, type DecodedImage } from '../image/decode';
import { encodeImage, encodePreview, formatForPath } from '../image/encode';
import type { SessionCache } from '../inference/session';
import { getModel, loadManifest } from '../models/manifest';
import { networkHoleFiller } from '../scratch/scratch';
import { loadDiffusion } from './load';
import { RefineRunner, type RefineBackend, type RefineRunnerOptions } from './runner';
import { RefineError } from './sdedit';

export interface EngineRefineOptions {
  modelsDir: string;
  sessions: SessionCache;
  /** Quality for lossy output formats (default RANGES.quality.default). */
  quality?: () => Promise<number> | number;
}

export function engineRefineBackend(o: EngineRefineOptions): RefineBackend<DecodedImage> {
  return {
    decode: (p) => decodeImage(p),
    encode: async (img, outPath, original) => {
      const format = formatForPath(outPath);
      if (!format) throw new RefineError(`cannot tell the format from ${path.basename(outPath)}: end the name in .png, .jpg, .webp, .tif or .avif`);
      const quality = (await o.quality?.()) ?? RANGES.quality.default;
      await encodeImage(img, outPath, { format, quality, inputPath: original, provenance: { action: 'refined' } });
    },
    preview: async (img) => encodePreview(img, Math.max(img.width, img.height)),
    diffusion: (s: RefineSettings) => loadDiffusion(o.sessions, o.modelsDir, s),
    holeFiller: async (s: RefineSettings) => {
      const manifest = await loadManifest(o.modelsDir);
      if (!manifest.models.some((m) => m.kind === 'fill')) return null;
      const model = getModel(manifest, undefined, 'fill');
      const { session } = await o.sessions.get(o.modelsDir, model, s.device);
      return networkHoleFiller(model, session);
    },
  };
}

export function engineRefineRunner(o: EngineRefineOptions, runner: RefineRunnerOptions = {}): RefineRunner<DecodedImage> {
  return new RefineRunner(engineRefineBackend(o), runner);
}
