// The local restoration network (kind 'restore'): tiled inference with feathered blending (../restore.ts), the
// result blended over the input by `strength`. The first stage today. It reads the job's top-level modelId,
// strength and tile (RestoreSettings), which predate per-stage settings; settings.stages.local may override them.
// On a GPU a tile that runs out of memory is redone smaller, then on the CPU (../device.ts); the session that
// worked is kept for the job's next photos.
import { getModel } from '../../models/manifest';
import { restoreOnDevice } from '../device';
import type { Stage } from './stage';

export const localStage: Stage = {
  name: 'local',
  kind: 'restore',
  weight: 1,
  enabled: (_settings, own) => own.enabled !== false,
  async load({ settings, own, modelsDir, manifest, sessions }) {
    const model = getModel(manifest, own.modelId ?? settings.modelId, 'restore');
    let cached = await sessions.get(modelsDir, model, settings.device);
    const strength = own.strength ?? settings.strength;
    return {
      report: cached.report,
      async run(img, photo) {
        const ctx = { sessions, modelsDir, session: cached, onReport: photo.onReport };
        const r = await restoreOnDevice(img, model, ctx, {
          strength,
          tile: settings.tile,
          signal: photo.signal,
          onProgress: (fr) => photo.onProgress(fr),
        });
        cached = r.session;
        return { image: r.image, inferenceMs: r.stats.inferenceMs, tiles: r.stats.tiles };
      },
    };
  },
};
