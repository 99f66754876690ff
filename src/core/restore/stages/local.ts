// The local restoration network (kind 'restore'): tiled inference with feathered blending (../restore.ts), the
// result blended over the input by `strength`. The first stage today. It reads the job's top-level modelId,
// strength and tile (RestoreSettings), which predate per-stage settings; settings.stages.local may override them.
// On a GPU a tile that runs out of memory is redone smaller, then on the CPU (../device.ts); the session that
// worked is kept for the job's next photos. With `keepGrain` (settings.stages.local), clean grain matched to what the
// network removed is added back (../grain.ts), and what was measured is the photo's info. Unless `adapt` is false,
// the strength is scaled by how much of the network's change the photo needs (../amount.ts: one number per photo,
// from the whole photo, before any tile runs), reported as the photo's `amount`. Unless `keepTones` is false, the
// low-pass part of the network's change may move a pixel by at most a few levels (../keep-tones.ts).
import { getModel } from '../../models/manifest';
import { photoFeatures, predictAmount } from '../amount';
import { restoreOnDevice } from '../device';
import { addGrain, measureGrain } from '../grain';
import type { Manifest, RestoreModel, RestoreSettings } from '../../../shared/types';
import type { PixelImage } from '../../image/planar';
import type { Stage } from './stage';

/** The local network's model for these settings (its own stage setting, else the job's modelId, else the default). */
export function localModel(manifest: Manifest, settings: RestoreSettings): RestoreModel {
  return getModel(manifest, settings.stages?.local?.modelId ?? settings.modelId, 'restore');
}

/**
 * How much of this network's change the photo needs (0..1, to 3 decimals); 1 for a model without `amount`. Under 1 %
 * is 0: the photo is left as it was and the network does not run at all (a blend that small moves no pixel visibly).
 */
export function judgeAmount(img: PixelImage, model: RestoreModel): number {
  if (!model.amount) return 1;
  const a = predictAmount(photoFeatures(img), model.amount);
  return a < 0.01 ? 0 : Math.round(a * 1000) / 1000;
}

export const localStage: Stage = {
  name: 'local',
  kind: 'restore',
  weight: 1,
  enabled: (_settings, own) => own.enabled !== false,
  async load({ settings, own, modelsDir, manifest, sessions }) {
    const model = localModel(manifest, settings);
    let cached = await sessions.get(modelsDir, model, settings.device);
    const strength = own.strength ?? settings.strength; // restoreImage clamps what it is given
    const adapt = own.adapt !== false && model.amount !== undefined;
    return {
      report: cached.report,
      async run(img, photo) {
        const ctx = { sessions, modelsDir, session: cached, onReport: photo.onReport };
        const amount = adapt ? (own.amount ?? judgeAmount(img, model)) : 1;
        const r = await restoreOnDevice(img, model, ctx, {
          strength: strength * amount,
          keepTones: own.keepTones !== false,
          tile: settings.tile,
          signal: photo.signal,
          onProgress: (fr) => photo.onProgress(fr),
        });
        cached = r.session;
        const out = { image: r.image, inferenceMs: r.stats.inferenceMs, tiles: r.stats.tiles };
        const info: Record<string, unknown> = adapt ? { amount } : {};
        if (own.keepGrain && r.image !== img) {
          const grain = measureGrain(img, r.image);
          addGrain(r.image, grain);
          info.grain = { ...grain, sigma: grain.sigma.map((s) => Math.round(s * 1e5) / 1e5) };
        }
        return Object.keys(info).length ? { ...out, info } : out;
      },
    };
  },
};
