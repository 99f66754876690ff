// The tone stage's own cost on a 12-megapixel photo, by part: its thumbnail (the pooled grid of the whole photo), the model on it, the mapping (detection, luma curve, summary) and its application at full resolution,
// 8 and 16 bit. Run: npx jiti bench/tone/bench.ts [--models-dir DIR]
import path from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { SessionCache } from '../../src/core/inference/session';
import { findModelsDir, getModel, loadManifest } from '../../src/core/models/manifest';
import { poolImage, predictMapping } from '../../src/core/restore/stages/tone';
import { applyToneMapping, buildMapping, summarise } from '../../src/shared/tone';

const { values } = parseArgs({ options: { 'models-dir': { type: 'string' }, reps: { type: 'string', default: '3' } } });
const ROOT = path.resolve(__dirname, '../..');

async function main() {
  const dir = values['models-dir'] ?? findModelsDir(path.join(ROOT, 'src'));
  const model = getModel(await loadManifest(dir), undefined, 'tone');
  const sessions = new SessionCache({ threads: 1 });
  const { session } = await sessions.get(dir, model, 'cpu');
  const src = path.resolve(ROOT, '../shared/datasets/old-photos/d.png');
  const { data, info } = await sharp(src).removeAlpha().resize(4000, 3000, { fit: 'fill' }).raw().toBuffer({ resolveWithObject: true });
  const img8 = { width: info.width, height: info.height, bitDepth: 8 as const, rgb: new Uint8Array(data) };
  const img16 = { ...img8, bitDepth: 16 as const, rgb: Uint16Array.from(img8.rgb, (v) => v * 257) };
  const reps = Number(values.reps);
  const best: Record<string, number> = {};
  const time = async (k: string, f: () => unknown) => {
    const t = performance.now();
    await f();
    best[k] = Math.min(best[k] ?? Infinity, performance.now() - t);
  };
  for (let r = 0; r < reps; r++) {
    let thumb = poolImage(img8, model.thumb);
    await time('thumbnail', () => (thumb = poolImage(img8, model.thumb)));
    let p = await predictMapping(session, model, thumb);
    await time('model', async () => (p = await predictMapping(session, model, thumb)));
    let m = buildMapping(p.pooled, p, 'auto');
    await time('mapping', () => {
      m = buildMapping(p.pooled, p, 'auto');
      summarise(p.pooled, m, 1);
    });
    const out8 = new Uint8Array(img8.rgb.length);
    await time('apply_8bit', () => applyToneMapping(img8.rgb, out8, 3, 255, m, 1));
    const out16 = new Uint16Array(img16.rgb.length);
    await time('apply_16bit', () => applyToneMapping(img16.rgb, out16, 3, 65535, m, 1));
  }
  const total8 = best.thumbnail + best.model + best.mapping + best.apply_8bit;
  const ms = Object.fromEntries(Object.entries(best).map(([k, v]) => [k, Math.round(v * 10) / 10]));
  console.log(JSON.stringify({ megapixels: (img8.width * img8.height) / 1e6, best_of: reps, ms, total_8bit_ms: Math.round(total8) }));
  await sessions.dispose();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
