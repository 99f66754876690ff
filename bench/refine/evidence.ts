// The refine evidence: SDEdit on real old photos and CBSD68 validation photos with seeded synthetic strokes, at
// t0 = 0.3, 0.5 and 0.7 of T, with the shipped diffusion model. Writes docs/refine-<id>.png (picture sheets),
// bench/refine/evidence.json (every number) and the generated part of docs/refine.md.
//   npx jiti bench/refine/evidence.ts [--models DIR] [--steps 20] [--seed 7]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp, { type OverlayOptions } from 'sharp';
import { decodeImage } from '../../src/core/image/decode';
import { SessionCache } from '../../src/core/inference/session';
import { findModelsDir } from '../../src/core/models/manifest';
import { loadDiffusion } from '../../src/core/refine/load';
import { DEFAULT_FEATHER, refineImage } from '../../src/core/refine/sdedit';
import { areas, ringGradient, score, type Scores } from './metrics';
import { makeStrokes, type StrokeSpec } from './strokes';

const ROOT = path.resolve(__dirname, '../..');
const DATA = path.resolve(ROOT, '../shared/datasets');
const arg = (k: string, d: string) => {
  const i = process.argv.indexOf(`--${k}`);
  return i > 0 ? process.argv[i + 1] : d;
};
const STEPS = Number(arg('steps', '20'));
const SEED = Number(arg('seed', '7'));
const T0S = [0.3, 0.5, 0.7];

interface Photo {
  id: string;
  file: string;
  what: string;
  spec: StrokeSpec;
}
export const PHOTOS: Photo[] = [
  { id: 'plane', file: 'val/cbsd68/3096.png', what: 'sky colour over the aeroplane', spec: { area: [0.38, 0.4, 0.88, 0.8], pick: [0.15, 0.25], brush: 0.07, seed: 1 } },
  { id: 'meadow', file: 'val/cbsd68/291000.png', what: 'grass colour over the white stalks', spec: { area: [0.12, 0.62, 0.3, 0.9], pick: [0.6, 0.93], brush: 0.05, seed: 2 } },
  { id: 'boat', file: 'old-photos/f.png', what: 'water colour over the rowing boat (old photo)', spec: { area: [0.25, 0.8, 0.45, 0.93], pick: [0.72, 0.9], brush: 0.04, seed: 3 } },
  { id: 'moon', file: 'old-photos/d.png', what: 'sky colour over the moon on the windmill (old photo)', spec: { area: [0.51, 0.21, 0.6, 0.3], pick: [0.4, 0.14], brush: 0.03, seed: 4 } },
  { id: 'bank', file: 'old-photos/e.png', what: 'grass colour over the leaves at the bank (old photo)', spec: { area: [0.03, 0.82, 0.22, 0.95], pick: [0.55, 0.9], brush: 0.035, seed: 5 } },
];

function label(text: string, w: number, h = 26): Promise<Buffer> {
  const esc = text.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const svg = `<svg width="${w}" height="${h}" xmlns="http://www.w3.org/2000/svg"><rect width="100%" height="100%" fill="white"/><text x="6" y="${h - 8}" font-family="DejaVu Sans, sans-serif" font-size="15" fill="#222">${esc}</text></svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}

async function panel(rgb: Uint8Array, w: number, h: number, crop: { x: number; y: number; w: number; h: number }, height: number) {
  const width = Math.round((crop.w * height) / crop.h);
  const buf = await sharp(Buffer.from(rgb), { raw: { width: w, height: h, channels: 3 } })
    .extract({ left: crop.x, top: crop.y, width: crop.w, height: crop.h })
    .resize(width, height, { kernel: crop.w * 2 < width ? 'nearest' : 'lanczos3' })
    .png()
    .toBuffer();
  return { buf, width };
}

async function main() {
  const modelsDir = path.resolve(arg('models', findModelsDir(ROOT)));
  const sessions = new SessionCache();
  const d = await loadDiffusion(sessions, modelsDir, { device: 'cpu' });
  console.log(`model ${d.entry.id}: ${d.entry.name}`);
  const rows: { photo: Photo; size: string; region: string; ring: number; scores: Record<string, Scores>; seconds: Record<string, number> }[] = [];
  for (const photo of PHOTOS) {
    const img = await decodeImage(path.join(DATA, photo.file));
    if (img.bitDepth !== 8) throw new Error('evidence photos are 8-bit');
    const { width: W, height: H } = img;
    const rgb = img.rgb as Uint8Array;
    const { strokes, colour } = makeStrokes(rgb, W, H, photo.spec);
    const paint = rgb.slice();
    for (let p = 0; p < W * H; p++) {
      const a = strokes[4 * p + 3] / 255;
      for (let c = 0; c < 3; c++) paint[3 * p + c] = Math.round(rgb[3 * p + c] * (1 - a) + colour[c] * a);
    }
    const A = areas(strokes, W, H, DEFAULT_FEATHER);
    const scores: Record<string, Scores> = { photo: score(rgb, paint, W, H, A, colour), paint: score(paint, paint, W, H, A, colour) };
    const seconds: Record<string, number> = {};
    const results: Record<string, Uint8Array> = {};
    let region = '';
    for (const s of T0S) {
      d.model.counters.ms = 0;
      const t = performance.now();
      const out = await refineImage({ image: img, strokes }, d.model, d.sched, { strength: s, steps: STEPS, repeats: 1, seed: SEED, eta: 0, tile: d.tile });
      seconds[s.toFixed(1)] = (performance.now() - t) / 1000;
      results[s.toFixed(1)] = out.image.rgb as Uint8Array;
      scores[s.toFixed(1)] = score(out.image.rgb as Uint8Array, paint, W, H, A, colour);
      region = `${out.stats.region.runW}x${out.stats.region.runH}`;
      console.log(photo.id, s, seconds[s.toFixed(1)].toFixed(1) + ' s', JSON.stringify(scores[s.toFixed(1)]));
    }
    rows.push({ photo, size: `${W}x${H}`, region, ring: ringGradient(rgb, W, H, A), scores, seconds });

    // the sheet: whole photo with the crop outlined | crop: photo, paint, t0 0.3, 0.5, 0.7
    let x0 = W, y0 = H, x1 = 0, y1 = 0;
    for (const p of A.painted) {
      const x = p % W, y = (p - x) / W;
      x0 = Math.min(x0, x); y0 = Math.min(y0, y); x1 = Math.max(x1, x); y1 = Math.max(y1, y);
    }
    const pad = Math.round(0.45 * Math.max(x1 - x0, y1 - y0));
    const crop = { x: Math.max(0, x0 - pad), y: Math.max(0, y0 - pad), w: 0, h: 0 };
    crop.w = Math.min(W, x1 + pad + 1) - crop.x;
    crop.h = Math.min(H, y1 + pad + 1) - crop.y;
    const PH = 240;
    const thumbW = Math.round((W * PH) / H);
    const box = `<svg width="${thumbW}" height="${PH}" xmlns="http://www.w3.org/2000/svg"><rect x="${(crop.x * PH) / H}" y="${(crop.y * PH) / H}" width="${(crop.w * PH) / H}" height="${(crop.h * PH) / H}" fill="none" stroke="#ff2" stroke-width="2"/></svg>`;
    const thumb = await sharp(Buffer.from(rgb), { raw: { width: W, height: H, channels: 3 } })
      .resize(thumbW, PH)
      .composite([{ input: Buffer.from(box) }])
      .png()
      .toBuffer();
    const panels = [{ buf: thumb, width: thumbW, name: 'photo' }];
    for (const [name, px] of [['crop', rgb], ['strokes', paint], ...T0S.map((s) => [`t0 = ${s} T`, results[s.toFixed(1)]])] as [string, Uint8Array][]) {
      panels.push({ ...(await panel(px, W, H, crop, PH)), name });
    }
    const GAP = 6;
    const total = panels.reduce((s, p) => s + p.width + GAP, -GAP);
    const comps: OverlayOptions[] = [];
    let x = 0;
    for (const p of panels) {
      comps.push({ input: await label(p.name, p.width), left: x, top: 0 }, { input: p.buf, left: x, top: 26 });
      x += p.width + GAP;
    }
    await sharp({ create: { width: total, height: PH + 26, channels: 3, background: '#ffffff' } })
      .composite(comps)
      .png({ compressionLevel: 9 })
      .toFile(path.join(ROOT, 'docs', `refine-${photo.id}.png`));
  }

  const mean = (k: string, f: keyof Scores) => rows.reduce((s, r) => s + r.scores[k][f], 0) / rows.length;
  // the realism ratio is unstable where the surroundings are nearly as flat as the paint (a clear sky): median
  const median = (k: string, f: keyof Scores) => {
    const v = rows.map((r) => r.scores[k][f]).sort((a, b) => a - b);
    return v.length % 2 ? v[v.length >> 1] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  };
  const out = {
    date: new Date().toISOString(),
    machine: `${os.cpus()[0]?.model ?? 'cpu'} x${os.cpus().length}, ${Math.round(os.totalmem() / 2 ** 30)} GiB`,
    model: { id: d.entry.id, name: d.entry.name, sha256: d.entry.sha256 },
    settings: { steps: STEPS, seed: SEED, eta: 0, repeats: 1, mask: DEFAULT_FEATHER },
    rows: rows.map((r) => ({ id: r.photo.id, file: r.photo.file, what: r.photo.what, size: r.size, region: r.region, ringGradMean: r.ring, scores: r.scores, seconds: r.seconds })),
    mean: Object.fromEntries(['photo', 'paint', ...T0S.map((s) => s.toFixed(1))].map((k) => [k, { deltaE: mean(k, 'deltaE'), deltaEMean: mean(k, 'deltaEMean'), gradMean: mean(k, 'gradMean'), w1: mean(k, 'w1'), realismMedian: median(k, 'realism') }])),
  };
  fs.writeFileSync(path.join(ROOT, 'bench/refine/evidence.json'), JSON.stringify(out, null, 2) + '\n');

  // the generated part of docs/refine.md
  const f1 = (v: number) => v.toFixed(1);
  const f2 = (v: number) => v.toFixed(2);
  const cell = (x: Scores) => `${f1(x.deltaE)} / ${f1(x.w1)} / ${f2(x.realism)}`;
  const lines = [
    `Generated by \`npx jiti bench/refine/evidence.ts\` on ${out.date.slice(0, 16).replace('T', ' ')} UTC with model \`${d.entry.id}\``,
    `("${d.entry.name}", sha256 ${d.entry.sha256.slice(0, 12)}…), ${STEPS} steps, eta 0, seed ${SEED}, one repeat; machine: ${out.machine}.`,
    '',
    ...rows.flatMap((r) => [`**${r.photo.id}** — ${r.photo.what} (\`${r.photo.file}\`, ${r.size}; the network ran on ${r.region}):`, '', `![${r.photo.id}](refine-${r.photo.id}.png)`, '']),
    `Over the ${rows.length} photos (inside the fully painted pixels; ring = untouched photo within 24 px of the mask; means, realism the median):`,
    '',
    '| | ΔE to paint, per pixel | ΔE of mean colour | mean gradient (levels/px); ring: ' + f2(rows.reduce((s, r) => s + r.ring, 0) / rows.length) + ' | W1 to the ring (levels/px) | realism, median (0 = flat paint, 1 = surroundings) | seconds |',
    '|---|---|---|---|---|---|---|',
    ...['photo', 'paint', ...T0S.map((s) => s.toFixed(1))].map((k) => {
      const m = out.mean[k];
      const name = k === 'photo' ? 'the photo before painting' : k === 'paint' ? 'the strokes (flat paint)' : `result, t0 = ${k} T`;
      const secs = k.length === 3 ? f1(rows.reduce((s, r) => s + r.seconds[k], 0) / rows.length) : '';
      return `| ${name} | ${f1(m.deltaE)} | ${f1(m.deltaEMean)} | ${f2(m.gradMean)} | ${f2(m.w1)} | ${f2(m.realismMedian)} | ${secs} |`;
    }),
    '',
    'Per photo (ΔE per pixel / W1 to the ring / realism):',
    '',
    `| photo | ${T0S.map((s) => `t0 = ${s} T`).join(' | ')} | photo before painting |`,
    `|---|${T0S.map(() => '---').join('|')}|---|`,
    ...rows.map((r) => `| ${r.photo.id} | ${T0S.map((s) => cell(r.scores[s.toFixed(1)])).join(' | ')} | ${cell(r.scores.photo)} |`),
  ];
  const doc = path.join(ROOT, 'docs/refine.md');
  const start = '<!-- evidence:start -->';
  const end = '<!-- evidence:end -->';
  const text = fs.existsSync(doc) ? fs.readFileSync(doc, 'utf8') : `${start}\n${end}\n`;
  const i = text.indexOf(start);
  const j = text.indexOf(end);
  if (i < 0 || j < i) throw new Error('docs/refine.md lacks the evidence markers');
  fs.writeFileSync(doc, text.slice(0, i + start.length) + '\n' + lines.join('\n') + '\n' + text.slice(j));
  await sessions.dispose();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
