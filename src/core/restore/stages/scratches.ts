// The scratch stage (manifest kinds 'scratch' and 'fill'): finds scratches, cracks, creases, dust, hairs and torn
// corners with the detector run tiled at full resolution, and re-creates the marked pixels from their surroundings
// with the fill network; every other pixel passes through untouched. Runs after the tone stage (so it sees the
// print's corrected colours) and before the local network (which then evens out the filled areas' grain).
// Settings: settings.stages.scratches { enabled, sensitivity (0..1, default RANGES.scratchSensitivity), mask (a mask
// file to fill instead of detecting), saveMask (where to write the mask it filled), modelId, fillModelId }.
// Its info: how much was marked, where the mask went, and the time each part took.
import { RANGES, clampTo } from '../../../shared/limits';
import { getModel } from '../../models/manifest';
import { detectDamage, fillMasked, maskFromProb, maskStats, thresholdFor } from '../../scratch/scratch';
import { MaskTargets, readMaskFile, writeMask } from '../../scratch/mask-file';
import type { Stage } from './stage';

export interface ScratchInfo {
  /** Pixels filled, and their share of the photo. */
  pixels: number;
  fraction: number;
  /** 'detected' by the network, or taken from a mask 'file'. */
  source: 'detected' | 'file';
  sensitivity: number;
  /** The mask that was filled, when it was saved (settings saveMask). */
  maskFile?: string;
  detectMs: number;
  fillMs: number;
  /** Fill windows run (only those with damage in them). */
  fillTiles: number;
}

export const scratchStage: Stage = {
  name: 'scratches',
  kind: 'scratch',
  weight: 0.5,
  enabled: (_settings, own) => own.enabled !== false,
  async load({ settings, own, modelsDir, manifest, sessions }) {
    // a models folder without the scratch models (an older install) restores as before, unless one was asked for
    const has = (k: string) => manifest.models.some((m) => m.kind === k);
    if (!own.modelId && !own.fillModelId && !own.mask && (!has('scratch') || !has('fill'))) {
      return { run: async (img) => ({ image: img }) };
    }
    const fillModel = getModel(manifest, own.fillModelId, 'fill');
    const fill = await sessions.get(modelsDir, fillModel, settings.device);
    const detector = own.mask ? null : getModel(manifest, own.modelId, 'scratch');
    const detect = detector ? await sessions.get(modelsDir, detector, settings.device) : null;
    const sensitivity = clampTo(RANGES.scratchSensitivity, own.sensitivity);
    const targets = own.saveMask ? new MaskTargets(own.saveMask) : null;
    return {
      report: detect?.report ?? fill.report,
      async run(img, photo) {
        const { width: W, height: H } = img;
        const t0 = performance.now();
        let mask: Uint8Array;
        // the detector's mask may be wrong in places (a guided fill keeps what is really the photo's); a mask file is
        // what the person wants replaced, unless it is one this stage found and saved, unchanged (mask-file.ts)
        let guided = !own.mask;
        let inferenceMs = 0;
        let tiles = 0;
        if (own.mask) {
          ({ mask, detected: guided } = await readMaskFile(own.mask, W, H));
        } else {
          const threshold = thresholdFor(sensitivity);
          const d = await detectDamage(img, detector!, detect!.session, {
            tile: settings.tile,
            signal: photo.signal,
            onProgress: (f) => photo.onProgress(0.6 * f),
            threshold,
          });
          mask = maskFromProb(d.prob, W, H, threshold);
          inferenceMs += d.inferenceMs;
          tiles += d.tiles;
        }
        const t1 = performance.now();
        const f = await fillMasked(img, mask, fillModel, fill.session, {
          guided,
          signal: photo.signal,
          onProgress: (fr) => photo.onProgress(0.6 + 0.4 * fr),
        });
        const t2 = performance.now();
        const info: ScratchInfo = {
          ...maskStats(mask),
          source: own.mask ? 'file' : 'detected',
          sensitivity,
          detectMs: Math.round(t1 - t0),
          fillMs: Math.round(t2 - t1),
          fillTiles: f.tiles,
        };
        if (targets) info.maskFile = await writeMask(targets.for(photo.input), mask, W, H, { detected: guided });
        return {
          image: f.image,
          info: info as unknown as Record<string, unknown>,
          inferenceMs: inferenceMs + f.inferenceMs,
          tiles: tiles + f.tiles,
        };
      },
    };
  },
};
