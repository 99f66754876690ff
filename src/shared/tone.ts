// The tone-and-colour mapping: one global colour mapping per photo, predicted by the tone model from a thumbnail
// (src/core/restore/stages/tone.ts) and applied here per pixel at any resolution. Pure: the engine applies it to the
// full-resolution photo, the renderer re-applies it to the preview at another strength, with the same code.
//
// The model's mapping ("colour"): v = clamp(A rgb + b), out_c = curve_c(v_c), each curve through K knots (x, y),
// linear in between and slope 1 beyond the ends (training/revive_train/tone.py computes the same), applied by the
// model's `amount` (how sure it is the photo is damaged) times the user's strength. Black-and-white and toned prints
// never get colour:
// - grey input (no chroma): "neutral", the luma curve on the luma, grey out;
// - toned monochrome (chroma is a function of brightness only, e.g. sepia): "keep" adds the luma change to every
//   channel (the tone stays, levels and contrast come back) or, mode neutral, the luma curve alone (the tone goes).
// The luma curve is fitted once per photo on the thumbnail: the model's colour mapping's effect on luma.

export type ToneMode = 'auto' | 'neutral' | 'keep';
export const TONE_MODES: readonly ToneMode[] = ['auto', 'neutral', 'keep'];
/** How the mapping is applied: the full colour mapping, luma change added to each channel, or grey. */
export type ToneApply = 'colour' | 'keep' | 'neutral';
export type ToneDetected = 'colour' | 'toned' | 'grey';

/** A non-decreasing piecewise-linear curve through knots (x ascending), slope 1 beyond the ends. */
export interface Curve {
  x: number[];
  y: number[];
}

export interface ToneMapping {
  /** 3x4 row-major affine colour matrix (identity: [1,0,0,0, 0,1,0,0, 0,0,1,0]). */
  affine: number[];
  /** The R, G and B curves, applied after the affine step. */
  curves: Curve[];
  /** The luma curve (output luma from input luma), for the keep and neutral applications. */
  luma: Curve;
  /** The model's share of its mapping, 0..1 (near 0 for a photo it finds undamaged); times the strength. */
  amount: number;
  detected: ToneDetected;
  mode: ToneMode;
  apply: ToneApply;
}

/** What the stage reports: the mapping, the strength it was applied at, and a short summary. */
export interface ToneInfo extends ToneMapping {
  strength: number;
  summary: ToneSummary;
  /** The stage's time for this photo (thumbnail, model, mapping at full resolution), ms. */
  ms?: number;
}

export interface ToneSummary {
  detected: ToneDetected;
  apply: ToneApply;
  /** The share of the mapping applied: the strength times the model's amount. */
  applied: number;
  /** Per channel (0..255): the input's 1st and 99th percentiles, the black and white points the mapping moves... */
  black: [number, number, number];
  white: [number, number, number];
  /** ...and where the mapping puts them. */
  blackOut: [number, number, number];
  whiteOut: [number, number, number];
  /** The mean colour cast removed (0..255, per channel, the input's mean minus its mean luma, before - after). */
  cast: [number, number, number];
}

const LR = 0.299;
const LG = 0.587;
const LB = 0.114;

const ramp = (): Curve => ({ x: [0, 1], y: [0, 1] });

export function identityMapping(): ToneMapping {
  return { affine: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0], curves: [ramp(), ramp(), ramp()], luma: ramp(), amount: 1, detected: 'colour', mode: 'auto', apply: 'colour' };
}

function clamp01(v: number): number {
  return v < 0 ? 0 : v > 1 ? 1 : v;
}

/** The curve at v (the same as training/revive_train/tone.py interp). */
export function curveAt(c: Curve, v: number): number {
  const { x, y } = c;
  const k = x.length;
  if (v < x[0]) return y[0] + (v - x[0]);
  if (v > x[k - 1]) return y[k - 1] + (v - x[k - 1]);
  let i = 0;
  while (i < k - 2 && v >= x[i + 1]) i++;
  const d = x[i + 1] - x[i];
  const t = d > 1e-6 ? Math.min(1, Math.max(0, (v - x[i]) / d)) : v >= x[i + 1] ? 1 : 0;
  return y[i] + t * (y[i + 1] - y[i]);
}

/** One pixel through the model's colour mapping; writes out[0..2]. */
function mapColour(m: ToneMapping, r: number, g: number, b: number, out: Float64Array): void {
  const a = m.affine;
  out[0] = clamp01(curveAt(m.curves[0], clamp01(a[0] * r + a[1] * g + a[2] * b + a[3])));
  out[1] = clamp01(curveAt(m.curves[1], clamp01(a[4] * r + a[5] * g + a[6] * b + a[7])));
  out[2] = clamp01(curveAt(m.curves[2], clamp01(a[8] * r + a[9] * g + a[10] * b + a[11])));
}

/** A small planar float image (R plane, G plane, B plane), as thumbnails are. */
export interface Planar {
  width: number;
  height: number;
  data: Float32Array;
}

/**
 * What kind of print the thumbnail shows: grey (no chroma), toned (chroma that depends on brightness alone:
 * sepia, selenium, yellowed paper) or colour.
 */
export function detectPrint(t: Planar): ToneDetected {
  const n = t.width * t.height;
  const d = t.data;
  const bins = 16;
  const sum = new Float64Array(bins * 2);
  const cnt = new Float64Array(bins);
  const cr = new Float64Array(n);
  const cb = new Float64Array(n);
  const bin = new Int32Array(n);
  let abs = 0;
  for (let i = 0; i < n; i++) {
    const r = d[i];
    const g = d[n + i];
    const b = d[2 * n + i];
    const y = LR * r + LG * g + LB * b;
    cr[i] = r - y;
    cb[i] = b - y;
    abs += Math.hypot(cr[i], cb[i]);
    const k = Math.min(bins - 1, Math.max(0, Math.floor(y * bins)));
    bin[i] = k;
    sum[2 * k] += cr[i];
    sum[2 * k + 1] += cb[i];
    cnt[k]++;
  }
  if (abs / n < 0.006) return 'grey';
  let res = 0;
  for (let i = 0; i < n; i++) {
    const k = bin[i];
    res += (cr[i] - sum[2 * k] / cnt[k]) ** 2 + (cb[i] - sum[2 * k + 1] / cnt[k]) ** 2;
  }
  return Math.sqrt(res / n) < 0.012 ? 'toned' : 'colour';
}

/** How a mode applies to a detected print. */
export function applicationFor(detected: ToneDetected, mode: ToneMode): ToneApply {
  if (detected === 'grey') return 'neutral';
  if (detected === 'toned') return mode === 'neutral' ? 'neutral' : 'keep';
  return mode === 'keep' ? 'keep' : 'colour';
}

/**
 * The luma curve of a colour mapping: output luma as a function of input luma over the thumbnail's pixels. Knots at
 * the input luma's quantiles (K of them), each knot's y the mean output luma of the pixels ranked around it, then
 * made non-decreasing (pool adjacent violators).
 */
export function fitLumaCurve(t: Planar, m: Pick<ToneMapping, 'affine' | 'curves'>, knots = 17): Curve {
  const n = t.width * t.height;
  const d = t.data;
  const o = new Float64Array(3);
  const yin = new Float64Array(n);
  const yout = new Float64Array(n);
  const full = { ...m, luma: ramp(), amount: 1, detected: 'colour', mode: 'auto', apply: 'colour' } as ToneMapping;
  for (let i = 0; i < n; i++) {
    const r = d[i];
    const g = d[n + i];
    const b = d[2 * n + i];
    yin[i] = clamp01(LR * r + LG * g + LB * b);
    mapColour(full, r, g, b, o);
    yout[i] = LR * o[0] + LG * o[1] + LB * o[2];
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => yin[a] - yin[b]);
  const half = Math.max(1, Math.round(n / (2 * (knots - 1))));
  const x: number[] = [];
  const y: number[] = [];
  for (let k = 0; k < knots; k++) {
    const c = Math.round((k * (n - 1)) / (knots - 1));
    const lo = Math.max(0, c - half);
    const hi = Math.min(n, c + half + 1);
    let s = 0;
    let sx = 0;
    for (let j = lo; j < hi; j++) {
      s += yout[order[j]];
      sx += yin[order[j]];
    }
    // the knot at the window's mean input (not the centre pixel), so the curve passes through the window's mean
    x.push(k === 0 ? yin[order[0]] : k === knots - 1 ? yin[order[n - 1]] : sx / (hi - lo));
    y.push(s / (hi - lo) + (k === 0 || k === knots - 1 ? x[k] - sx / (hi - lo) : 0));
  }
  for (let k = 1; k < knots; k++) x[k] = Math.max(x[k], x[k - 1]);
  // pool adjacent violators
  const blocks: { v: number; n: number }[] = [];
  for (let k = 0; k < knots; k++) {
    blocks.push({ v: y[k], n: 1 });
    while (blocks.length > 1 && blocks[blocks.length - 2].v > blocks[blocks.length - 1].v) {
      const b = blocks.pop()!;
      const a = blocks[blocks.length - 1];
      a.v = (a.v * a.n + b.v * b.n) / (a.n + b.n);
      a.n += b.n;
    }
  }
  const yy: number[] = [];
  for (const b of blocks) for (let i = 0; i < b.n; i++) yy.push(b.v);
  return { x, y: yy };
}

/** The full mapping for a photo: the model's colour mapping, the detected print kind, the mode's application. */
export function buildMapping(
  thumb: Planar,
  model: { affine: ArrayLike<number>; knotsX: ArrayLike<number>; knotsY: ArrayLike<number>; amount: number },
  mode: ToneMode = 'auto',
): ToneMapping {
  const k = model.knotsX.length / 3;
  const curves = [0, 1, 2].map((c) => ({
    x: Array.from(model.knotsX).slice(c * k, (c + 1) * k),
    y: Array.from(model.knotsY).slice(c * k, (c + 1) * k),
  }));
  const m = { affine: Array.from(model.affine), curves };
  const detected = detectPrint(thumb);
  return { ...m, luma: fitLumaCurve(thumb, m, k), amount: clamp01(model.amount), detected, mode, apply: applicationFor(detected, mode) };
}

/** The same mapping with another mode (the app changes the mode live: detection and curves stay). */
export function withMode(m: ToneMapping, mode: ToneMode): ToneMapping {
  return { ...m, mode, apply: applicationFor(m.detected, mode) };
}

/**
 * Applies `m` at `strength` times its amount (0 = unchanged, 1 = the mapping; a linear blend of the pixels) to
 * interleaved pixels: `channels` values per pixel (3 = RGB, 4 = RGBA: the 4th is copied), integer values
 * 0..maxValue (255 or 65535). src and dst may be the same array. Grey pixels stay grey under the keep and neutral
 * applications. Table-driven, see below.
 */
export function applyToneMapping(
  src: ArrayLike<number>,
  dst: { [i: number]: number; length: number },
  channels: 3 | 4,
  maxValue: number,
  m: ToneMapping,
  strength = 1,
): void {
  const s = clamp01(strength) * m.amount;
  const n = Math.floor(src.length / channels);
  const ch = channels;
  // Every lookup is into a table indexed by an integer: per input value (0..maxValue) tables that are already scaled
  // to curve-table positions, curve tables at RES steps per unit (nearest entry: at most 1/32 of an 8-bit level off
  // a curve of slope 2), and the blend's input share K[v] = (1 - s) v. No clamping in the loop: each curve table
  // spans exactly the values its input can take.
  const RES = Math.max(8191, maxValue);
  const K = new Float32Array(maxValue + 1);
  for (let v = 0; v <= maxValue; v++) K[v] = (1 - s) * v + 0.5; // + 0.5: round to nearest with | 0
  const inputTable = (k: number, add = 0) => {
    const t = new Float64Array(maxValue + 1);
    for (let v = 0; v <= maxValue; v++) t[v] = ((k * v) / maxValue) * RES + add;
    return t;
  };
  /** The table of curve `c` over v in [lo, hi] (clamped to [0, 1] before the curve), times scale. */
  const curveTable = (c: Curve, lo: number, hi: number, scale: number, minusX = 0) => {
    const size = Math.ceil((hi - lo) * RES) + 2;
    const t = new Float32Array(size);
    for (let i = 0; i < size; i++) {
      const v = clamp01(lo + i / RES);
      t[i] = scale * (clamp01(curveAt(c, v)) - minusX * v);
    }
    return t;
  };
  const sm = s * maxValue;
  if (m.apply === 'colour') {
    const a = m.affine;
    const rows = [0, 1, 2].map((k) => {
      const w = [a[4 * k], a[4 * k + 1], a[4 * k + 2]];
      const bias = a[4 * k + 3];
      const lo = bias + w.reduce((x, y) => x + Math.min(0, y), 0);
      const hi = bias + w.reduce((x, y) => x + Math.max(0, y), 0);
      // index = round((v - lo) * RES): the bias and - lo folded into the first table
      return { t: [inputTable(w[0], (bias - lo) * RES + 0.5), inputTable(w[1]), inputTable(w[2])], c: curveTable(m.curves[k], lo, hi, sm) };
    });
    const [r0, r1, r2] = rows[0].t;
    const [g0, g1, g2] = rows[1].t;
    const [b0, b1, b2] = rows[2].t;
    const cr = rows[0].c;
    const cg = rows[1].c;
    const cb = rows[2].c;
    for (let p = 0, i = 0; p < n; p++, i += ch) {
      const r = src[i];
      const g = src[i + 1];
      const b = src[i + 2];
      dst[i] = (K[r] + cr[(r0[r] + r1[g] + r2[b]) | 0]) | 0;
      dst[i + 1] = (K[g] + cg[(g0[r] + g1[g] + g2[b]) | 0]) | 0;
      dst[i + 2] = (K[b] + cb[(b0[r] + b1[g] + b2[b]) | 0]) | 0;
      if (ch === 4) dst[i + 3] = src[i + 3];
    }
    return;
  }
  const yr = inputTable(LR, 0.5);
  const yg = inputTable(LG);
  const yb = inputTable(LB);
  if (m.apply === 'neutral') {
    const t = curveTable(m.luma, 0, 1, sm);
    for (let p = 0, i = 0; p < n; p++, i += ch) {
      const y = t[(yr[src[i]] + yg[src[i + 1]] + yb[src[i + 2]]) | 0];
      dst[i] = (K[src[i]] + y) | 0;
      dst[i + 1] = (K[src[i + 1]] + y) | 0;
      dst[i + 2] = (K[src[i + 2]] + y) | 0;
      if (ch === 4) dst[i + 3] = src[i + 3];
    }
    return;
  }
  // keep: the luma's change added to every channel (clamped), blended
  const t = curveTable(m.luma, 0, 1, maxValue, 1);
  for (let p = 0, i = 0; p < n; p++, i += ch) {
    const r = src[i];
    const g = src[i + 1];
    const b = src[i + 2];
    const dy = t[(yr[r] + yg[g] + yb[b]) | 0];
    let R = r + dy;
    let G = g + dy;
    let B = b + dy;
    R = R > 0 ? (R < maxValue ? R : maxValue) : 0;
    G = G > 0 ? (G < maxValue ? G : maxValue) : 0;
    B = B > 0 ? (B < maxValue ? B : maxValue) : 0;
    dst[i] = (r + s * (R - r) + 0.5) | 0;
    dst[i + 1] = (g + s * (G - g) + 0.5) | 0;
    dst[i + 2] = (b + s * (B - b) + 0.5) | 0;
    if (ch === 4) dst[i + 3] = src[i + 3];
  }
}

function percentile(v: Float32Array | number[], q: number): number {
  const s = Float32Array.from(v).sort();
  return s[Math.min(s.length - 1, Math.max(0, Math.round(q * (s.length - 1))))];
}

/** The summary of a mapping on its thumbnail (what --json prints and the app shows). */
export function summarise(thumb: Planar, m: ToneMapping, strength = 1): ToneSummary {
  const n = thumb.width * thumb.height;
  const px = new Float32Array(3 * n);
  for (let i = 0; i < n; i++) for (let c = 0; c < 3; c++) px[3 * i + c] = thumb.data[c * n + i] * 255;
  const out = new Float32Array(3 * n);
  applyToneMapping(px.map(Math.round), out, 3, 255, m, strength);
  const chan = (a: Float32Array, c: number) => a.filter((_, i) => i % 3 === c);
  const r1 = (v: number) => Math.round(v * 10) / 10;
  const trip = (f: (c: number) => number) => [r1(f(0)), r1(f(1)), r1(f(2))] as [number, number, number];
  const cast = (a: Float32Array, c: number) => {
    let s = 0;
    for (let i = 0; i < n; i++) s += a[3 * i + c] - (LR * a[3 * i] + LG * a[3 * i + 1] + LB * a[3 * i + 2]);
    return s / n;
  };
  return {
    detected: m.detected,
    apply: m.apply,
    applied: Math.round(clamp01(strength) * m.amount * 1000) / 1000,
    black: trip((c) => percentile(chan(px, c), 0.01)),
    white: trip((c) => percentile(chan(px, c), 0.99)),
    blackOut: trip((c) => percentile(chan(out, c), 0.01)),
    whiteOut: trip((c) => percentile(chan(out, c), 0.99)),
    cast: trip((c) => cast(px, c) - cast(out, c)),
  };
}

/**
 * Adaptive average pooling of a planar image to size x size (PyTorch's adaptive_avg_pool2d: output cell i covers
 * source rows floor(i H / size) .. ceil((i + 1) H / size)), what the tone model reads.
 */
export function poolPlanar(t: Planar, size: number): Planar {
  const { width: W, height: H, data } = t;
  const n = W * H;
  const m = size * size;
  const out = new Float32Array(3 * m);
  for (let y = 0; y < size; y++) {
    const y0 = Math.floor((y * H) / size);
    const y1 = Math.ceil(((y + 1) * H) / size);
    for (let x = 0; x < size; x++) {
      const x0 = Math.floor((x * W) / size);
      const x1 = Math.ceil(((x + 1) * W) / size);
      const k = 1 / ((y1 - y0) * (x1 - x0));
      for (let c = 0; c < 3; c++) {
        let s = 0;
        for (let yy = y0; yy < y1; yy++) for (let xx = x0; xx < x1; xx++) s += data[c * n + yy * W + xx];
        out[c * m + y * size + x] = s * k;
      }
    }
  }
  return { width: size, height: size, data: out };
}
