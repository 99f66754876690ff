// The local restoration network (kind 'restore'): tiled inference with feathered blending (../restore.ts), the
// result blended over the input by `strength`. The first stage today. It reads the job's top-level modelId,
// strength and tile (RestoreSettings), which predate per-stage settings; settings.stages.local may override them.
import { getModel } from '../../models/manifest';
import { restoreImage } from '../restore';
import type { Stage } from './stage';

export const localStage: Stage = {
  name: 'local',
  kind: 'restore',
  weight: 1,
  enabled: (_settings, own) => own.enabled !== false,
  async load({ settings, own, modelsDir, manifest, sessions }) {
    const model = getModel(manifest, own.modelId ?? settings.modelId, 'restore');
    const { session, report } = await sessions.get(modelsDir, model, settings.device);
    const strength = own.strength ?? settings.strength;
    return {
      report,
      async run(img, photo) {
        const { image, stats } = await restoreImage(img, model, session, {
          strength,
          tile: settings.tile,
          signal: photo.signal,
          onProgress: (fr) => photo.onProgress(fr),
        });
        return { image, inferenceMs: stats.inferenceMs, tiles: stats.tiles };
      },
    };
  },
};
