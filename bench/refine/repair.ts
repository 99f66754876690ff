// The repair benchmark (issue: refine results that look real): on validation photos, a region of one material (sky,
// wall, skin, foliage, fabric, water) is covered with a flat disc of its own mean colour and refined; a good refine
// keeps the colour, brings back texture of the photo's own strength, and costs little PSNR against the flat stroke.
//
//   npx jiti bench/refine/repair.ts [--models DIR[,DIR2]] [--configs "s,steps,eta,jumps;..."] [--out FILE] [--sheet]
//
// Regions are chosen automatically and seeded, two per photo: the window whose low-pass colour varies least (flat
// material: sky, wall) and the same among windows whose fine texture is above the photo's median (textured
// material: foliage, fabric, hair). Inside the fully painted pixels:
// - colour error: |mean(result) - mean(original)| per channel, averaged (8-bit levels);
// - gradient ratio: mean luma gradient magnitude of the result / of the original (1 = the photo's own texture);
// - PSNR of the result and of the flat stroke, both to the original.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp, { type OverlayOptions } from 'sharp';
import { decodeImage } from '../../src/core/image/decode';
import { SessionCache } from '../../src/core/inference/session';
import { findModelsDir } from '../../src/core/models/manifest';
import { loadDiffusion } from '../../src/core/refine/load';
import { refineImage } from '../../src/core/refine/sdedit';

const ROOT = path.resolve(__dirname, '../..');
const DATA = path.resolve(ROOT, '../shared/datasets');
const arg = (k: string, d: string) => {
  const i = process.argv.indexOf(`--${k}`);
  return i > 0 ? process.argv[i + 1] : d;
};

export interface Config {
  strength: number;
  steps: number;
  eta: number;
  jumps: number;
}

/** 24 validation photos: every 6th CBSD68 image, and 6 each of LIVE1 and McMaster. */
export function benchPhotos(): string[] {
  const list = (d: string) => fs.readdirSync(path.join(DATA, d)).filter((f) => /\.(png|jpe?g)$/i.test(f)).sort().map((f) => path.join(d, f));
  const every = (a: string[], n: number, k: number) => a.filter((_, i) => i % k === 0).slice(0, n);
  return [...every(list('val/cbsd68'), 12, 5), ...every(list('val/live1'), 6, 4), ...every(list('val/mcmaster'), 6, 3)];
}

function luma(rgb: Uint8Array, w: number, h: number): Float32Array {
  const y = new Float32Array(w * h);
  for (let p = 0; p < w * h; p++) y[p] = 0.299 * rgb[3 * p] + 0.587 * rgb[3 * p + 1] + 0.114 * rgb[3 * p + 2];
  return y;
}

function gradMag(Y: Float32Array, w: number, h: number, p: number): number {
  const x = p % w;
  const y = (p - x) / w;
  const gx = (Y[y * w + Math.min(w - 1, x + 1)] - Y[y * w + Math.max(0, x - 1)]) / 2;
  const gy = (Y[Math.min(h - 1, y + 1) * w + x] - Y[Math.max(0, y - 1) * w + x]) / 2;
  return Math.hypot(gx, gy);
}

/** Box blur of one channel plane with radius r (separable, clamped at the edges). */
function boxBlur(src: Float32Array, w: number, h: number, r: number): Float32Array {
  const tmp = new Float32Array(w * h);
  const out = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let s = 0;
      for (let k = -r; k <= r; k++) s += src[y * w + Math.min(w - 1, Math.max(0, x + k))];
      tmp[y * w + x] = s / (2 * r + 1);
    }
  }
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let s = 0;
      for (let k = -r; k <= r; k++) s += tmp[Math.min(h - 1, Math.max(0, y + k)) * w + x];
      out[y * w + x] = s / (2 * r + 1);
    }
  }
  return out;
}

export interface Region {
  kind: 'flat' | 'textured';
  cx: number;
  cy: number;
  r: number;
}

/** The two regions of a photo (disc radius 6 % of the short side), see the header. */
export function chooseRegions(rgb: Uint8Array, w: number, h: number): Region[] {
  const r = Math.max(8, Math.round(0.06 * Math.min(w, h)));
  const planes = [0, 1, 2].map((c) => Float32Array.from({ length: w * h }, (_, p) => rgb[3 * p + c]));
  const low = planes.map((pl) => boxBlur(pl, w, h, 3));
  const Y = luma(rgb, w, h);
  const Ylow = boxBlur(Y, w, h, 2);
  const cands: { cx: number; cy: number; lowVar: number; tex: number }[] = [];
  const stride = Math.max(4, r >> 1);
  for (let cy = r + 4; cy < h - r - 4; cy += stride) {
    for (let cx = r + 4; cx < w - r - 4; cx += stride) {
      let n = 0, tex = 0;
      const m = [0, 0, 0], m2 = [0, 0, 0];
      for (let y = cy - r; y <= cy + r; y++) {
        for (let x = cx - r; x <= cx + r; x++) {
          if ((x - cx) ** 2 + (y - cy) ** 2 > r * r) continue;
          const p = y * w + x;
          for (let c = 0; c < 3; c++) {
            m[c] += low[c][p];
            m2[c] += low[c][p] ** 2;
          }
          tex += Math.abs(Y[p] - Ylow[p]);
          n++;
        }
      }
      const lowVar = [0, 1, 2].reduce((s, c) => s + m2[c] / n - (m[c] / n) ** 2, 0);
      cands.push({ cx, cy, lowVar, tex: tex / n });
    }
  }
  const byVar = [...cands].sort((a, b) => a.lowVar - b.lowVar);
  const texMedian = [...cands].sort((a, b) => a.tex - b.tex)[cands.length >> 1].tex;
  const flat = byVar[0];
  const textured = byVar.find((c) => c.tex > texMedian && Math.hypot(c.cx - flat.cx, c.cy - flat.cy) > 2 * r) ?? byVar[1];
  return [
    { kind: 'flat', cx: flat.cx, cy: flat.cy, r },
    { kind: 'textured', cx: textured.cx, cy: textured.cy, r },
  ];
}

/** A flat disc of the region's own mean colour (opaque, one-pixel anti-aliased rim) and the fully painted pixels. */
export function flatStroke(rgb: Uint8Array, w: number, h: number, reg: Region) {
  const strokes = new Uint8Array(w * h * 4);
  const inside: number[] = [];
  const mean = [0, 0, 0];
  for (let y = reg.cy - reg.r - 1; y <= reg.cy + reg.r + 1; y++) {
    for (let x = reg.cx - reg.r - 1; x <= reg.cx + reg.r + 1; x++) {
      if (x < 0 || y < 0 || x >= w || y >= h) continue;
      const a = Math.max(0, Math.min(1, reg.r - Math.hypot(x - reg.cx, y - reg.cy) + 0.5));
      if (a === 1) {
        inside.push(y * w + x);
        for (let c = 0; c < 3; c++) mean[c] += rgb[3 * (y * w + x) + c];
      }
      strokes[4 * (y * w + x) + 3] = Math.round(a * 255);
    }
  }
  const colour = mean.map((v) => Math.round(v / inside.length));
  for (let p = 0; p < w * h; p++) if (strokes[4 * p + 3]) for (let c = 0; c < 3; c++) strokes[4 * p + c] = colour[c];
  const painted = rgb.slice();
  for (let p = 0; p < w * h; p++) {
    const a = strokes[4 * p + 3] / 255;
    if (a) for (let c = 0; c < 3; c++) painted[3 * p + c] = Math.round(rgb[3 * p + c] * (1 - a) + colour[c] * a);
  }
  return { strokes, inside, colour, painted };
}

export interface RepairScore {
  colourErr: number;
  gradRatio: number;
  psnr: number;
}

export function repairScore(orig: Uint8Array, out: Uint8Array, w: number, h: number, inside: number[]): RepairScore {
  const mo = [0, 0, 0], mr = [0, 0, 0];
  let se = 0;
  for (const p of inside) {
    for (let c = 0; c < 3; c++) {
      mo[c] += orig[3 * p + c];
      mr[c] += out[3 * p + c];
      se += (orig[3 * p + c] - out[3 * p + c]) ** 2;
    }
  }
  const n = inside.length;
  const Yo = luma(orig, w, h);
  const Yr = luma(out, w, h);
  let go = 0, gr = 0;
  for (const p of inside) {
    go += gradMag(Yo, w, h, p);
    gr += gradMag(Yr, w, h, p);
  }
  return {
    colourErr: [0, 1, 2].reduce((s, c) => s + Math.abs(mo[c] - mr[c]) / n, 0) / 3,
    gradRatio: go > 0 ? gr / go : 0,
    psnr: 10 * Math.log10((255 * 255) / Math.max(1e-9, se / (3 * n))),
  };
}

export function parseConfigs(s: string): Config[] {
  return s.split(';').filter(Boolean).map((c) => {
    const [strength, steps, eta, jumps] = c.split(',').map(Number);
    return { strength, steps, eta, jumps: jumps || 0 };
  });
}

async function crop(rgb: Uint8Array, w: number, h: number, reg: Region, size: number): Promise<Buffer> {
  const half = Math.min(Math.round(reg.r * 2.2), Math.floor(Math.min(w, h) / 2) - 1);
  const left = Math.max(0, Math.min(w - 2 * half, reg.cx - half));
  const top = Math.max(0, Math.min(h - 2 * half, reg.cy - half));
  return sharp(Buffer.from(rgb), { raw: { width: w, height: h, channels: 3 } })
    .extract({ left, top, width: 2 * half, height: 2 * half })
    .resize(size, size, { kernel: 'nearest' })
    .png()
    .toBuffer();
}

async function main() {
  const dirs = arg('models', findModelsDir(ROOT)).split(',').map((d) => path.resolve(d));
  const configs = parseConfigs(arg('configs', '0.5,20,0,0'));
  const seed = Number(arg('seed', '7'));
  const limit = Number(arg('limit', '0'));
  const sessions = new SessionCache();
  const photos = benchPhotos().slice(0, limit || undefined);
  const results: { model: string; config: Config; rows: { file: string; kind: string; flat: RepairScore; out: RepairScore }[]; seconds: number }[] = [];
  const sheetRows: Buffer[][] = [];
  const wantSheet = process.argv.includes('--sheet');
  for (const dir of dirs) {
    const d = await loadDiffusion(sessions, dir, { device: 'cpu' });
    for (const config of configs) {
      const rows: (typeof results)[number]['rows'] = [];
      const t = performance.now();
      for (const [pi, file] of photos.entries()) {
        const img = await decodeImage(path.join(DATA, file));
        const { width: W, height: H } = img;
        const rgb = img.rgb as Uint8Array;
        for (const [ri, reg] of chooseRegions(rgb, W, H).entries()) {
          const { strokes, inside, painted } = flatStroke(rgb, W, H, reg);
          const res = await refineImage({ image: img, strokes }, d.model, d.sched, { ...config, repeats: 1, seed: seed + pi * 2 + ri, tile: d.tile });
          const out = res.image.rgb as Uint8Array;
          rows.push({ file, kind: reg.kind, flat: repairScore(rgb, painted, W, H, inside), out: repairScore(rgb, out, W, H, inside) });
          if (wantSheet && pi % 4 === 0) {
            const idx = (pi / 4) * 2 + ri;
            sheetRows[idx] ??= [await crop(rgb, W, H, reg, 160), await crop(painted, W, H, reg, 160)];
            sheetRows[idx].push(await crop(out, W, H, reg, 160));
          }
        }
      }
      const seconds = (performance.now() - t) / 1000;
      // named by its manifest entry, not by the folder (no machine paths in committed results)
      results.push({ model: `${d.entry.id}: ${d.entry.name}`, config, rows, seconds });
      const s = summarise(rows);
      console.log(dir, JSON.stringify(config), JSON.stringify(s), `${seconds.toFixed(0)} s`);
    }
  }
  const out = {
    date: new Date().toISOString(),
    machine: `${os.cpus()[0]?.model ?? 'cpu'} x${os.cpus().length}, ${Math.round(os.totalmem() / 2 ** 30)} GiB`,
    photos: photos.length,
    results: results.map((r) => ({ ...r, summary: summarise(r.rows) })),
  };
  const file = arg('out', path.join(ROOT, 'bench/refine/repair.json'));
  fs.writeFileSync(file, JSON.stringify(out, null, 2) + '\n');
  if (process.argv.includes('--doc')) writeDoc(out);
  if (wantSheet && sheetRows.length) {
    const S = 160, G = 4;
    const cols = sheetRows[0].length;
    const comps: OverlayOptions[] = [];
    sheetRows.forEach((row, r) => row.forEach((buf, c) => comps.push({ input: buf, left: c * (S + G), top: r * (S + G) })));
    await sharp({ create: { width: cols * (S + G) - G, height: sheetRows.length * (S + G) - G, channels: 3, background: '#ffffff' } })
      .composite(comps)
      .png({ compressionLevel: 9 })
      .toFile(arg('sheet-out', path.join(ROOT, 'docs/refine-repair.png')));
  }
  await sessions.dispose();
}

/** The generated part of docs/refine.md (between the repair markers). */
function writeDoc(out: { date: string; machine: string; photos: number; results: { model: string; config: Config; seconds: number; summary: ReturnType<typeof summarise> }[] }) {
  const f1 = (v: number) => v.toFixed(1);
  const f2 = (v: number) => v.toFixed(2);
  const lines = [
    `Generated by \`npx jiti bench/refine/repair.ts --doc\` on ${out.date.slice(0, 16).replace('T', ' ')} UTC; machine: ${out.machine}.`,
    `${out.photos} validation photos, two regions each (${out.results[0]?.summary.n ?? 0} repairs per row). Goals: colour error <= 4 levels, gradient ratio 0.6-1.5 and none above 2, PSNR within 1.5 dB of the flat stroke's.`,
    '',
    '| prior | strength, steps, eta, jumps | colour error, mean / max (levels) | gradient ratio, mean (min-max) | in 0.6-1.5 | above 2 | PSNR result / flat stroke (dB) | seconds (all repairs) |',
    '|---|---|---|---|---|---|---|---|',
    ...out.results.map(({ model, config: c, seconds, summary: m }) =>
      `| ${model} | ${c.strength}, ${c.steps}, ${c.eta}, ${c.jumps} | ${f1(m.colourErrMean)} / ${f1(m.colourErrMax)} | ${f2(m.gradRatioMean)} (${f2(m.gradRatioMin)}-${f2(m.gradRatioMax)}) | ${m.inRange}/${m.n} | ${m.above2} | ${f1(m.psnrOut)} / ${f1(m.psnrFlat)} | ${seconds.toFixed(0)} |`),
  ];
  const doc = path.join(ROOT, 'docs/refine.md');
  const start = '<!-- repair:start -->';
  const end = '<!-- repair:end -->';
  let text = fs.readFileSync(doc, 'utf8');
  if (!text.includes(start)) text += `\n${start}\n${end}\n`;
  const i = text.indexOf(start);
  const j = text.indexOf(end);
  fs.writeFileSync(doc, text.slice(0, i + start.length) + '\n' + lines.join('\n') + '\n' + text.slice(j));
}

export function summarise(rows: { flat: RepairScore; out: RepairScore }[]) {
  const mean = (f: (r: (typeof rows)[number]) => number) => rows.reduce((s, r) => s + f(r), 0) / rows.length;
  return {
    n: rows.length,
    colourErrMean: mean((r) => r.out.colourErr),
    colourErrMax: Math.max(...rows.map((r) => r.out.colourErr)),
    gradRatioMean: mean((r) => r.out.gradRatio),
    gradRatioMin: Math.min(...rows.map((r) => r.out.gradRatio)),
    gradRatioMax: Math.max(...rows.map((r) => r.out.gradRatio)),
    inRange: rows.filter((r) => r.out.gradRatio >= 0.6 && r.out.gradRatio <= 1.5).length,
    above2: rows.filter((r) => r.out.gradRatio > 2).length,
    psnrOut: mean((r) => r.out.psnr),
    psnrFlat: mean((r) => r.flat.psnr),
    flatGradRatio: mean((r) => r.flat.gradRatio),
  };
}

if (/repair\.ts$/.test(process.argv[1] ?? '')) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
