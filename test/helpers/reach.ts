import fs from 'node:fs';
import path from 'node:path';

/** How far the default restore model's change reaches from a pixel: its manifest overlap (the tiles' receptive field). */
export function defaultReach(modelsDir: string): number {
  const m = JSON.parse(fs.readFileSync(path.join(modelsDir, 'manifest.json'), 'utf8')) as {
    default_restore?: string;
    models: { id: string; kind: string; receptive_overlap?: number }[];
  };
  const model = m.models.find((x) => x.id === m.default_restore) ?? m.models.find((x) => x.kind === 'restore');
  return model?.receptive_overlap ?? 128;
}
