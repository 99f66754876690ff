// The local restoration network (kind 'restore'): tiled inference with feathered blending (../restore.ts), the
// result blended over the input by `strength`. The first stage today. It reads the job's top-level modelId,
// strength and tile (RestoreSettings), which predate per-stage settings; settings.stages.local may override them.
// On a GPU a tile that runs out of memory is redone smaller, then on the CPU (../device.ts); the session that
// worked is kept for the job's next photos. With `keepGrain` (settings.stages.local), clean grain matched to what the
// network removed is added back (../grain.ts), and what was measured is the photo's info.
import { getModel } from '../../models/manifest';
import { restoreOnDevice } from '../device';
import { addGrain, measureGrain } from '../grain';
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
        if (!own.keepGrain || r.image === img) return { image: r.image, inferenceMs: r.stats.inferenceMs, tiles: r.stats.tiles };
        const grain = measureGrain(img, r.image);
        addGrain(r.image, grain);
        const info = { grain: { ...grain, sigma: grain.sigma.map((s) => Math.round(s * 1e5) / 1e5) } };
        return { image: r.image, inferenceMs: r.stats.inferenceMs, tiles: r.stats.tiles, info };
      },
    };
  },
};
