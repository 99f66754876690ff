// The "adapt to the photo" features (src/core/restore/amount.ts) of raw 8-bit RGB images, for training/fit_amount.py:
// the engine's own code, so what the regressor is fitted on is what the app computes.
// usage: npx jiti training/scripts/amount_features.ts <spec.json>; spec = { items: [{ input, width, height }] }
// input: raw interleaved RGB bytes. Prints { names, features: one vector per item }.
import fs from 'node:fs';
import { AMOUNT_FEATURES, photoFeatures } from '../../src/core/restore/amount';

const spec = JSON.parse(fs.readFileSync(process.argv[2], 'utf8')) as { items: { input: string; width: number; height: number }[] };
const out = spec.items.map((it) => {
  const rgb = new Uint8Array(fs.readFileSync(it.input));
  if (rgb.length !== it.width * it.height * 3) throw new Error(`${it.input}: ${rgb.length} bytes, not ${it.width}x${it.height}x3`);
  return photoFeatures({ width: it.width, height: it.height, bitDepth: 8, rgb });
});
process.stdout.write(JSON.stringify({ names: AMOUNT_FEATURES, features: out }));
