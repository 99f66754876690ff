// The tone-and-colour stage (manifest kind 'tone'): brings back faded and colour-cast prints with one global colour
// mapping per photo. The model looks at a small thumbnail of the whole photo once and predicts the mapping; it is
// applied per pixel at full resolution (src/shared/tone.ts), so tiling cannot change it, and it is returned in the
// photo's info so the app can re-apply it at another strength or mode without running anything again.
// Runs before the local network. Settings: settings.stages.tone { enabled, strength (0..1, default RANGES.toneStrength: 0), mode
// (auto | neutral | keep, default auto), modelId }.
import * as ort from 'onnxruntime-node';
import { RANGES } from '../../../shared/limits';
import type { ToneModel } from '../../../shared/types';
import { applyToneMapping, buildMapping, summarise, type ToneInfo, type ToneMode } from '../../../shared/tone';
import type { PixelImage, PlanarImage } from '../../image/planar';
import { createImageLike } from '../../image/planar';
import { getModel } from '../../models/manifest';
import type { Stage } from './stage';

/** Samples per axis of each thumbnail cell (a 12 MP photo: 16 x 16 of the ~2900 pixels a cell covers). */
export const CELL_SAMPLES = 16;

/**
 * The model's input: adaptive average pooling of the whole photo to size x size (each cell the mean of its source box,
 * PyTorch's adaptive_avg_pool2d boxes, what training feeds), estimated from an even grid of at most CELL_SAMPLES x
 * CELL_SAMPLES pixels per box, so a 12 MP photo costs a few ms instead of a pass over every pixel. Planar float [0, 1].
 */
export function poolImage(img: PixelImage, size: number, samples = CELL_SAMPLES): PlanarImage {
  const { width: W, height: H, rgb } = img;
  const inv = 1 / (img.bitDepth === 16 ? 65535 : 255);
  const m = size * size;
  const data = new Float32Array(3 * m);
  const picks = (i: number, N: number) => {
    const a = Math.floor((i * N) / size);
    const b = Math.max(a + 1, Math.ceil(((i + 1) * N) / size));
    const k = Math.min(samples, b - a);
    return Array.from({ length: k }, (_, j) => a + Math.floor(((j + 0.5) * (b - a)) / k));
  };
  const cols = Array.from({ length: size }, (_, x) => picks(x, W));
  for (let y = 0; y < size; y++) {
    const rows = picks(y, H);
    for (let x = 0; x < size; x++) {
      let r = 0;
      let g = 0;
      let b = 0;
      for (const yy of rows) {
        const base = yy * W;
        for (const xx of cols[x]) {
          const i = (base + xx) * 3;
          r += rgb[i];
          g += rgb[i + 1];
          b += rgb[i + 2];
        }
      }
      const k = inv / (rows.length * cols[x].length);
      const d = y * size + x;
      data[d] = r * k;
      data[m + d] = g * k;
      data[2 * m + d] = b * k;
    }
  }
  return { width: size, height: size, data };
}

/** Runs the tone model on a thumbnail: the mapping's parameters. */
export async function predictMapping(
  session: ort.InferenceSession,
  model: ToneModel,
  pooled: PlanarImage,
): Promise<{ pooled: PlanarImage; affine: Float32Array; knotsX: Float32Array; knotsY: Float32Array; amount: number }> {
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
  // at strength 0 the mapping is still found (a 64 px thumbnail through a tiny network) and returned, so the app can
  // preview any strength at once; the photo itself is then passed on untouched
  enabled: (_settings, own) => own.enabled !== false,
  async load({ settings, own, modelsDir, manifest, sessions }) {
    // a models folder without a tone model (an older install) restores as before, unless one was asked for by id
    if (!own.modelId && !manifest.models.some((m) => m.kind === 'tone')) return { run: async (img) => ({ image: img }) };
    const model = getModel(manifest, own.modelId, 'tone');
    const { session, report } = await sessions.get(modelsDir, model, settings.device);
    const strength = Math.min(1, Math.max(0, own.strength ?? RANGES.toneStrength.default));
    const mode: ToneMode = own.mode ?? 'auto';
    return {
      report,
      async run(img, photo) {
        const t0 = performance.now();
        const p = await predictMapping(session, model, poolImage(img, model.thumb));
        const inferenceMs = performance.now() - t0;
        const mapping = buildMapping(p.pooled, p, mode);
        let out = img;
        if (strength > 0) {
          out = createImageLike(img);
          applyToneMapping(img.rgb, out.rgb, 3, img.bitDepth === 16 ? 65535 : 255, mapping, strength);
        }
        photo.onProgress(1);
        const summary = summarise(p.pooled, mapping, strength);
        const info: ToneInfo = { ...mapping, strength, summary, ms: Math.round((performance.now() - t0) * 10) / 10 };
        return { image: out, info: info as unknown as Record<string, unknown>, inferenceMs };
      },
    };
  },
};
