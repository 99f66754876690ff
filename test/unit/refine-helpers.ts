// Shared by the refine tests: the fixture diffusion model (random weights, stride 4) and small synthetic inputs.
import fs from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import type { DiffusionModel, Manifest } from '../../src/shared/types';
import { OrtEpsModel } from '../../src/core/refine/model';
import { scheduleFromManifest, type Schedule } from '../../src/core/refine/schedule';

export const FIXTURES = path.resolve(__dirname, '../fixtures/models');

export function fixtureEntry(): DiffusionModel {
  const m = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'manifest.json'), 'utf8')) as Manifest;
  const e = m.models.find((x) => x.id === 'diffusion-fixture');
  if (!e || e.kind !== 'diffusion') throw new Error('diffusion-fixture missing from test/fixtures/models/manifest.json');
  return e;
}

export async function fixtureModel(): Promise<{ model: OrtEpsModel; sched: Schedule; entry: DiffusionModel }> {
  const entry = fixtureEntry();
  const session = await ort.InferenceSession.create(path.join(FIXTURES, entry.file), {
    executionProviders: ['cpu'],
    intraOpNumThreads: 1,
  });
  return { model: new OrtEpsModel(session, entry), sched: scheduleFromManifest(entry.schedule), entry };
}

/** A smooth synthetic photo (gradients and a few discs), 8-bit RGB interleaved. */
export function synthPhoto(w: number, h: number, seed = 1): Uint8Array {
  const rgb = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const p = 3 * (y * w + x);
      const d = Math.hypot(x - w * 0.3, y - h * 0.6);
      rgb[p] = (60 + (150 * x) / w + 20 * Math.sin((x + seed * 7) / 5)) & 255;
      rgb[p + 1] = (90 + (100 * y) / h + (d < w / 6 ? 60 : 0)) & 255;
      rgb[p + 2] = (40 + ((x * y * seed) % 97)) & 255;
    }
  }
  return rgb;
}

/** RGBA strokes: one filled disc of colour `c` at (cx, cy) radius r. */
export function discStrokes(w: number, h: number, cx: number, cy: number, r: number, c = [80, 150, 220]): Uint8Array {
  const s = new Uint8Array(w * h * 4);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if ((x - cx) ** 2 + (y - cy) ** 2 <= r * r) s.set([c[0], c[1], c[2], 255], 4 * (y * w + x));
    }
  }
  return s;
}
