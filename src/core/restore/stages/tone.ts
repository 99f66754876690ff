// The tone-and-colour stage (manifest kind 'tone'): brings back faded and colour-cast prints with one global colour
// mapping per photo. The model looks at a small thumbnail of the whole photo once and predicts the mapping; it is
// applied per pixel at full resolution (src/shared/tone.ts), so tiling cannot change it, and it is returned in the
// photo's info so the app can re-apply it at another strength or mode without running anything again.
// Runs before the local network. Settings: settings.stages.tone { enabled, strength (0..1, default 1), mode
// (auto | neutral | keep, default auto), modelId }.
import * as ort from 'onnxruntime-node';
import type { ToneModel } from '../../../shared/types';
import { applyToneMapping, buildMapping, poolPlanar, summarise, type ToneInfo, type ToneMode } from '../../../shared/tone';
import type { PlanarImage } from '../../image/planar';
import { createImageLike } from '../../image/planar';
import { getModel } from '../../models/manifest';
import type { Stage } from './stage';

/** The thumbnail the stage asks the pipeline for (then pooled to the model's size, as training does). */
export const TONE_THUMB_SIDE = 256;

/** Runs the tone model on a thumbnail: the mapping's parameters. */
export async function predictMapping(
  session: ort.InferenceSession,
  model: ToneModel,
  thumb: PlanarImage,
): Promise<{ pooled: PlanarImage; affine: Float32Array; knotsX: Float32Array; knotsY: Float32Array; amount: number }> {
  const pooled = poolPlanar(thumb, model.thumb);
  const res = await session.run({ [model.inputs[0]]: new ort.Tensor('float32', pooled.data, [1, 3, model.thumb, model.thumb]) });
  const [aName, xName, yName, mName] = model.outputs;
  const get = (name: string, len: number) => {
    const t = res[name];
    if (!t || t.data.length !== len) throw new Error(`the tone model gave no ${name} of ${len} values`);
    return t.data as Float32Array;
  };
  const k = model.knots;
  return {
    pooled,
    affine: get(aName, 12),
    knotsX: get(xName, 3 * k),
    knotsY: get(yName, 3 * k),
    amount: get(mName, 1)[0],
  };
}

export const toneStage: Stage = {
  name: 'tone',
  kind: 'tone',
  weight: 0.02,
  enabled: (_settings, own) => own.enabled !== false && (own.strength ?? 1) > 0,
  async load({ settings, own, modelsDir, manifest, sessions }) {
    // a models folder without a tone model (an older install) restores as before, unless one was asked for by id
    if (!own.modelId && !manifest.models.some((m) => m.kind === 'tone')) return { run: async (img) => ({ image: img }) };
    const model = getModel(manifest, own.modelId, 'tone');
    const { session, report } = await sessions.get(modelsDir, model, settings.device);
    const strength = Math.min(1, Math.max(0, own.strength ?? 1));
    const mode: ToneMode = own.mode ?? 'auto';
    return {
      report,
      async run(img, photo) {
        const t0 = performance.now();
        const thumb = photo.thumbnail(TONE_THUMB_SIDE);
        const p = await predictMapping(session, model, thumb);
        const inferenceMs = performance.now() - t0;
        const mapping = buildMapping(p.pooled, p, mode);
        const out = createImageLike(img);
        applyToneMapping(img.rgb, out.rgb, 3, img.bitDepth === 16 ? 65535 : 255, mapping, strength);
        photo.onProgress(1);
        const summary = summarise(p.pooled, mapping, strength);
        const info: ToneInfo = { ...mapping, strength, summary, ms: Math.round((performance.now() - t0) * 10) / 10 };
        return { image: out, info: info as unknown as Record<string, unknown>, inferenceMs };
      },
    };
  },
};
