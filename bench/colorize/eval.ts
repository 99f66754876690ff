// Colorize evidence (docs/colorize.md): validation photos turned grey (their Oklab lightness as grey), small dabs of
// their true colours at three densities, coloured by the engine (src/core/colorize) and by a plain baseline (a
// normalised Gaussian blur of the dabs' chroma over the same lightness); colour error against the true photo, the
// lightness kept, and the engine's speed at 1 MP and 12 MP. Writes bench/colorize/results.json, the sheet
// docs/colorize-sheet.jpg and the 100 % crops docs/colorize-crops.png.
//   npx jiti bench/colorize/eval.ts [--per-set 6] [--reps 3] [--no-speed]
//   tuning (prints only): [--edge E] [--tolerance T] [--scales 0.04,0.2,1] [--scale-weight 0.05]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp, { type OverlayOptions } from 'sharp';
import { colorizeImage, COLORIZE_DEFAULTS, type ColorizeOptions } from '../../src/core/colorize';
import { encodeLinear, encodeTable, linearTable, linearToOklab, oklabToLinearInGamut } from '../../src/core/colorize/oklab';
import { boxMean } from '../../src/core/colorize/solver';

const ROOT = path.resolve(__dirname, '../..');
const VAL = path.resolve(ROOT, '../shared/datasets/val');
const SPEED_PHOTO = path.resolve(ROOT, '../shared/datasets/train/wallpapers/life_by_Aitzol_Berasategi.jpg');
const arg = (k: string, d: string) => {
  const i = process.argv.indexOf(`--${k}`);
  return i > 0 ? process.argv[i + 1] : d;
};
const PER_SET = Number(arg('per-set', '6'));
const REPS = Number(arg('reps', '3'));
const SETS = ['cbsd68', 'mcmaster', 'live1', 'set14'];
const DENSITIES = [0.003, 0.01, 0.03];
const DAB_R = 3; // dab radius in pixels (a 7-pixel disc, 29 pixels)
const opts: ColorizeOptions = {};
if (process.argv.includes('--edge')) opts.edge = Number(arg('edge', '0'));
if (process.argv.includes('--tolerance')) opts.tolerance = Number(arg('tolerance', '0'));
if (process.argv.includes('--scales')) opts.scales = arg('scales', '').split(',').map(Number);
if (process.argv.includes('--scale-weight')) opts.scaleWeight = Number(arg('scale-weight', '0'));
const tuning = ['--edge', '--tolerance', '--scales', '--scale-weight'].some((k) => process.argv.includes(k));

interface Photo {
  name: string;
  w: number;
  h: number;
  rgb: Uint8Array;
}

async function load(file: string): Promise<Photo> {
  const { data, info } = await sharp(file).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  return { name: path.relative(VAL, file), w: info.width, h: info.height, rgb: new Uint8Array(data) };
}

const lin = linearTable(255);
const enc = encodeTable();

function oklab(rgb: Uint8Array): Float64Array {
  const n = rgb.length / 3;
  const out = new Float64Array(3 * n);
  for (let i = 0; i < n; i++) linearToOklab(lin[rgb[3 * i]], lin[rgb[3 * i + 1]], lin[rgb[3 * i + 2]], out, 3 * i);
  return out;
}

/** The photo as grey: each pixel the grey of its own Oklab lightness. */
function toGrey(p: Photo): Uint8Array {
  const lab = oklab(p.rgb);
  const out = new Uint8Array(p.rgb.length);
  for (let i = 0; i < p.w * p.h; i++) out.fill(Math.round(encodeLinear(enc, lab[3 * i] ** 3) * 255), 3 * i, 3 * i + 3);
  return out;
}

/** A seeded generator (mulberry32). */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Round dabs at random places until `density` of the pixels are painted; each dab in the true colour at its centre. */
function dabs(p: Photo, density: number, seed: number): Uint8Array {
  const s = new Uint8Array(p.w * p.h * 4);
  const next = rng(seed);
  let painted = 0;
  const want = density * p.w * p.h;
  while (painted < want) {
    const cx = Math.floor(next() * p.w);
    const cy = Math.floor(next() * p.h);
    const c = 3 * (cy * p.w + cx);
    for (let y = Math.max(0, cy - DAB_R); y <= Math.min(p.h - 1, cy + DAB_R); y++) {
      for (let x = Math.max(0, cx - DAB_R); x <= Math.min(p.w - 1, cx + DAB_R); x++) {
        if ((x - cx) ** 2 + (y - cy) ** 2 > DAB_R * DAB_R + 1) continue;
        const i = 4 * (y * p.w + x);
        if (s[i + 3] === 0) painted++;
        s.set([p.rgb[c], p.rgb[c + 1], p.rgb[c + 2], 255], i);
      }
    }
  }
  return s;
}

/** The baseline: the grey's lightness with the dabs' chroma spread by a normalised Gaussian (three box passes). */
function blurBaseline(grey: Uint8Array, strokes: Uint8Array, w: number, h: number, sigma: number): Uint8Array {
  const n = w * h;
  const m = new Float64Array(n);
  const ma = new Float64Array(n);
  const mb = new Float64Array(n);
  const o = new Float64Array(3);
  for (let i = 0; i < n; i++) {
    if (!strokes[4 * i + 3]) continue;
    linearToOklab(lin[strokes[4 * i]], lin[strokes[4 * i + 1]], lin[strokes[4 * i + 2]], o);
    m[i] = 1;
    ma[i] = o[1];
    mb[i] = o[2];
  }
  const r = Math.max(1, Math.round(Math.sqrt((12 * sigma * sigma) / 3 + 1) / 2 - 0.5)); // three boxes ~ Gaussian(sigma)
  const blur = (a: Float64Array) => boxMean(boxMean(boxMean(a, w, h, r), w, h, r), w, h, r);
  const [bm, ba, bb] = [m, ma, mb].map(blur);
  const lab = oklab(grey);
  const out = new Uint8Array(3 * n);
  const c = new Float64Array(3);
  for (let i = 0; i < n; i++) {
    const d = bm[i] > 1e-12 ? bm[i] : 1;
    oklabToLinearInGamut(lab[3 * i], ba[i] / d, bb[i] / d, c);
    for (let k = 0; k < 3; k++) out[3 * i + k] = Math.round(encodeLinear(enc, c[k]) * 255);
  }
  return out;
}

// ---- metrics ----

function cielab(rgb: Uint8Array): Float64Array {
  const n = rgb.length / 3;
  const out = new Float64Array(3 * n);
  const f = (t: number) => (t > 216 / 24389 ? Math.cbrt(t) : (24389 / 27 * t + 16) / 116);
  for (let i = 0; i < n; i++) {
    const r = lin[rgb[3 * i]];
    const g = lin[rgb[3 * i + 1]];
    const b = lin[rgb[3 * i + 2]];
    const X = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047;
    const Y = 0.2126 * r + 0.7152 * g + 0.0722 * b;
    const Z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883;
    const fy = f(Y);
    out[3 * i] = 116 * fy - 16;
    out[3 * i + 1] = 500 * (f(X) - fy);
    out[3 * i + 2] = 200 * (fy - f(Z));
  }
  return out;
}

interface Metrics {
  de76: number; // mean CIELAB delta E (1976)
  deOk: number; // mean Oklab delta E x 100
  chromaPsnr: number; // PSNR of BT.601 Cb and Cr, 8-bit
  rgbPsnr: number;
  lightPsnr: number; // Oklab L to the grey input's, peak 1
}

function metrics(out: Uint8Array, truth: Uint8Array, grey: Uint8Array): Metrics {
  const n = out.length / 3;
  const [lo, lt, lg] = [oklab(out), oklab(truth), oklab(grey)];
  const [co, ct] = [cielab(out), cielab(truth)];
  let de = 0;
  let dok = 0;
  let sc = 0;
  let srgb = 0;
  let sl = 0;
  for (let i = 0; i < n; i++) {
    const j = 3 * i;
    de += Math.hypot(co[j] - ct[j], co[j + 1] - ct[j + 1], co[j + 2] - ct[j + 2]);
    dok += 100 * Math.hypot(lo[j] - lt[j], lo[j + 1] - lt[j + 1], lo[j + 2] - lt[j + 2]);
    sl += (lo[j] - lg[j]) ** 2;
    const cb = (p: Uint8Array) => -0.168736 * p[j] - 0.331264 * p[j + 1] + 0.5 * p[j + 2];
    const cr = (p: Uint8Array) => 0.5 * p[j] - 0.418688 * p[j + 1] - 0.081312 * p[j + 2];
    sc += (cb(out) - cb(truth)) ** 2 + (cr(out) - cr(truth)) ** 2;
    for (let k = 0; k < 3; k++) srgb += (out[j + k] - truth[j + k]) ** 2;
  }
  const psnr = (mse: number, peak: number) => 10 * Math.log10((peak * peak) / Math.max(mse, 1e-12));
  return {
    de76: de / n,
    deOk: dok / n,
    chromaPsnr: psnr(sc / (2 * n), 255),
    rgbPsnr: psnr(srgb / (3 * n), 255),
    lightPsnr: psnr(sl / n, 1),
  };
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];

// ---- the sheet ----

async function tile(rgb: Uint8Array, w: number, h: number, strokes?: Uint8Array): Promise<Buffer> {
  const px = Buffer.from(rgb);
  if (strokes) {
    for (let i = 0; i < w * h; i++) {
      if (strokes[4 * i + 3]) px.set(strokes.subarray(4 * i, 4 * i + 3), 3 * i);
    }
  }
  return sharp(px, { raw: { width: w, height: h, channels: 3 } }).png().toBuffer();
}

async function sheet(rows: { w: number; h: number; tiles: Buffer[] }[], file: string, cell: number, label: string) {
  const gap = 6;
  const W = 4 * cell + 5 * gap;
  const heights = rows.map((r) => Math.round((cell * r.h) / r.w));
  const H = heights.reduce((a, b) => a + b + gap, gap) + 50;
  const layers: OverlayOptions[] = [];
  const svg = `<svg width="${W}" height="50"><style>text{font:15px sans-serif;fill:#ddd}</style><text x="${gap + 4}" y="19">${label}</text>${['grey + dabs', 'Revive colorize', 'blur of the dabs', 'true colours']
    .map((t, k) => `<text x="${gap + k * (cell + gap) + 4}" y="41">${t}</text>`)
    .join('')}</svg>`;
  layers.push({ input: Buffer.from(svg), left: 0, top: 0 });
  let y = 50 + gap;
  for (const [k, r] of rows.entries()) {
    for (const [c, t] of r.tiles.entries()) {
      layers.push({ input: await sharp(t).resize(cell, heights[k], { kernel: cell >= r.w ? 'nearest' : 'lanczos3' }).toBuffer(), left: gap + c * (cell + gap), top: y });
    }
    y += heights[k] + gap;
  }
  const img = sharp({ create: { width: W, height: H, channels: 3, background: '#202124' } }).composite(layers);
  await (file.endsWith('.jpg') ? img.jpeg({ quality: 88 }) : img.png()).toFile(file);
}

function crop(rgb: Uint8Array, w: number, x0: number, y0: number, cw: number, ch: number, channels = 3): Uint8Array {
  const out = new Uint8Array(cw * ch * channels);
  for (let y = 0; y < ch; y++) out.set(rgb.subarray(((y0 + y) * w + x0) * channels, ((y0 + y) * w + x0 + cw) * channels), y * cw * channels);
  return out;
}

// ---- speed ----

async function speed(mp: number) {
  const meta = await sharp(SPEED_PHOTO).metadata();
  const scale = Math.sqrt((mp * 1e6) / (meta.width! * meta.height!));
  const w = Math.round(meta.width! * scale);
  const h = Math.round(meta.height! * scale);
  const { data } = await sharp(SPEED_PHOTO).resize(w, h).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const p: Photo = { name: 'speed', w, h, rgb: new Uint8Array(data) };
  const grey = toGrey(p);
  const strokes = dabs(p, 0.01, 7);
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let r = 0; r < REPS; r++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    colorizeImage({ width: w, height: h, bitDepth: 8, rgb: grey }, strokes, opts);
    wall.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  return { width: w, height: h, megapixels: (w * h) / 1e6, wallMs: Math.round(median(wall)), cpuMs: Math.round(median(cpu)), reps: REPS };
}

async function main() {
  const files = SETS.flatMap((s) =>
    fs
      .readdirSync(path.join(VAL, s))
      .filter((f) => /\.(png|jpe?g|bmp|tif)$/i.test(f))
      .sort()
      .slice(0, PER_SET)
      .map((f) => path.join(VAL, s, f)),
  );
  const perDensity: Record<string, { ours: Metrics[]; blur: Metrics[]; grey: Metrics[]; ms: number[] }> = {};
  const showcase: { w: number; h: number; tiles: Buffer[] }[] = [];
  const crops: { w: number; h: number; tiles: Buffer[] }[] = [];
  const SHOW = ['cbsd68/' , 'mcmaster/', 'live1/', 'set14/'];
  for (const [k, f] of files.entries()) {
    const p = await load(f);
    const grey = toGrey(p);
    for (const d of DENSITIES) {
      const key = `${(d * 100).toFixed(1)}%`;
      perDensity[key] ??= { ours: [], blur: [], grey: [], ms: [] };
      const strokes = dabs(p, d, 1000 + k);
      const t0 = performance.now();
      const ours = colorizeImage({ width: p.w, height: p.h, bitDepth: 8, rgb: grey }, strokes, opts).image.rgb as Uint8Array;
      perDensity[key].ms.push(performance.now() - t0);
      const sigma = Math.sqrt(((2 * DAB_R + 1) ** 2 * 0.6) / d) / 2; // half the typical distance between dabs
      const blur = blurBaseline(grey, strokes, p.w, p.h, sigma);
      perDensity[key].ours.push(metrics(ours, p.rgb, grey));
      perDensity[key].blur.push(metrics(blur, p.rgb, grey));
      perDensity[key].grey.push(metrics(grey, p.rgb, grey));
      const first = SHOW.findIndex((s) => p.name.startsWith(s));
      if (d === 0.01 && first >= 0 && files.findIndex((x) => path.relative(VAL, x).startsWith(SHOW[first])) === k) {
        showcase.push({ w: p.w, h: p.h, tiles: [await tile(grey, p.w, p.h, strokes), await tile(ours, p.w, p.h), await tile(blur, p.w, p.h), await tile(p.rgb, p.w, p.h)] });
        if (crops.length < 2) {
          const cw = 240;
          const x0 = Math.floor((p.w - cw) / 2);
          const y0 = Math.floor((p.h - cw) / 2);
          const cs = crop(strokes, p.w, x0, y0, cw, cw, 4);
          crops.push({
            w: cw,
            h: cw,
            tiles: [
              await tile(crop(grey, p.w, x0, y0, cw, cw), cw, cw, cs),
              await tile(crop(ours, p.w, x0, y0, cw, cw), cw, cw),
              await tile(crop(blur, p.w, x0, y0, cw, cw), cw, cw),
              await tile(crop(p.rgb, p.w, x0, y0, cw, cw), cw, cw),
            ],
          });
        }
      }
    }
    process.stderr.write(`\r${k + 1}/${files.length} ${p.name}        `);
  }
  process.stderr.write('\n');
  const summary = Object.fromEntries(
    Object.entries(perDensity).map(([key, v]) => {
      const avg = (ms: Metrics[]) =>
        Object.fromEntries((Object.keys(ms[0]) as (keyof Metrics)[]).map((m) => [m, Number(mean(ms.map((x) => x[m])).toFixed(3))]));
      const minL = Math.min(...v.ours.map((m) => m.lightPsnr));
      return [key, { ours: avg(v.ours), blur: avg(v.blur), grey: avg(v.grey), oursMinLightPsnr: Number(minL.toFixed(2)), oursMs: Math.round(mean(v.ms)) }];
    }),
  );
  const wins = Object.fromEntries(
    Object.entries(perDensity).map(([key, v]) => [key, v.ours.filter((m, i) => m.de76 < v.blur[i].de76).length]),
  );
  const out: Record<string, unknown> = {
    date: new Date().toISOString().slice(0, 10),
    machine: `${os.cpus().length}-core ${os.cpus()[0]?.model ?? 'CPU'}, Node ${process.version}`,
    photos: files.map((f) => path.relative(VAL, f)),
    options: { ...COLORIZE_DEFAULTS, ...opts },
    dabRadius: DAB_R,
    summary,
    oursBetterDe76: wins,
  };
  const resultsFile = path.join(__dirname, 'results.json');
  if (!process.argv.includes('--no-speed')) out.speed = [await speed(1), await speed(12)];
  else if (fs.existsSync(resultsFile)) out.speed = JSON.parse(fs.readFileSync(resultsFile, 'utf8')).speed; // kept from the last run
  console.log(JSON.stringify(out, null, 2));
  if (!tuning) {
    fs.writeFileSync(resultsFile, JSON.stringify(out, null, 2) + '\n');
    await sheet(showcase, path.join(ROOT, 'docs/colorize-sheet.jpg'), 300, 'Dabs of the true colours on 1 % of the pixels (7-pixel discs; painted in the first column)');
    await sheet(crops, path.join(ROOT, 'docs/colorize-crops.png'), 240, 'The same, 240 x 240 crops at 100 %');
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
