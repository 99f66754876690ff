// Colour from a few strokes (issue 17). The photo's Oklab lightness is kept; the strokes' chroma (Oklab a, b) is
// spread edge-aware at a reduced working resolution (./solver: normalised domain-transform filtering guided by
// lightness), carried back to full resolution by guided-filter coefficients and the full-resolution lightness, and
// painted pixels get exactly their stroke's chroma (blended by the stroke's alpha). Each pixel's own chroma is a weak
// prior: where the strokes' influence is far below it (no stroke reaches; a strong edge is in the way) the photo is
// left exactly as it was, and on a colour photo the prior is stronger, so a stroke recolours its own region and the
// rest keeps its colours. See docs/colorize.md.
import {
  encodeLinear,
  encodeTable,
  encodeTable8,
  linearTable,
  linearToOklab,
  oklabToLinearInGamut,
  srgb8ToOklab,
} from './oklab';
import { boxMean, domainTransformRF, guidedCoefficients } from './solver';

/** What the colouriser reads of a decoded photo (src/core/image's DecodedImage has these and more; all kept). */
export interface ColorizeInput {
  width: number;
  height: number;
  bitDepth: 8 | 16;
  rgb: Uint8Array | Uint16Array; // interleaved RGB
  alpha?: Uint8Array | Uint16Array;
  meta?: unknown;
}

export interface ColorizeOptions {
  /** Longest side of the working resolution the colour is spread at (default 640). */
  workSize?: number;
  /** Spatial reach as a fraction of the working resolution's longest side (default 1). */
  reach?: number;
  /** Oklab lightness step that stops colour (default 0.04). */
  edge?: number;
  /** Domain-transform iterations (default 3). */
  iterations?: number;
  /** Lightness steps up to this multiple of the photo's median step are not edges (default 2). */
  tolerance?: number;
  /**
   * Weight of a grey pixel's own (absent) chroma against the strokes' influence, which is about the painted share of
   * the pixels around it (default 2e-6: on a grey photo colour goes wherever it reaches).
   */
  hold?: number;
  /** Extra weight of a colourful pixel's own chroma (default 3e-5): recolouring stays near its strokes. */
  holdColour?: number;
  /** The spread's reaches as shares of `reach`, nearest first (default 0.04, 0.2, 1), and how much less each counts
   * than the one before (default 0.05): where the nearer strokes reach, they decide. */
  scales?: number[];
  scaleWeight?: number;
  /** Guided upsampling window radius in working pixels (default 2) and regularisation (default 1e-4, in L^2). */
  guideRadius?: number;
  guideEps?: number;
}

export interface ColorizeStats {
  /** Pixels with stroke alpha > 0. */
  painted: number;
  /** Pixels whose value changed. */
  changed: number;
  work: { width: number; height: number; factor: number };
  ms: number;
}

export const COLORIZE_DEFAULTS: Required<ColorizeOptions> = {
  workSize: 640,
  reach: 1,
  edge: 0.04,
  iterations: 3,
  tolerance: 2,
  scales: [0.04, 0.2, 1],
  scaleWeight: 0.05,
  hold: 2e-6,
  holdColour: 3e-5,
  guideRadius: 2,
  guideEps: 1e-4,
};

/** Oklab chroma at which a pixel counts as fully colourful for the prior. */
const COLOURFUL = 0.03;
/** Steps of the 8-bit output table (linear light 0..1). */
const ENC8_STEPS = 16384;
/** Below this influence (and with no paint on the pixel) the pixel is copied unchanged. */
const UNCHANGED = 1 / 1024;

export class ColorizeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ColorizeError';
  }
}

function strokeChroma(strokes: Uint8Array) {
  const cache = new Map<number, [number, number]>();
  return (i: number): [number, number] => {
    const r = strokes[4 * i];
    const g = strokes[4 * i + 1];
    const b = strokes[4 * i + 2];
    const key = (r << 16) | (g << 8) | b;
    let ab = cache.get(key);
    if (!ab) {
      const lab = srgb8ToOklab(r, g, b);
      ab = [lab[1], lab[2]];
      cache.set(key, ab);
    }
    return ab;
  };
}

/** Number of pixels with stroke alpha > 0. */
export function countPainted(strokes: Uint8Array): number {
  let k = 0;
  for (let i = 3; i < strokes.length; i += 4) if (strokes[i] > 0) k++;
  return k;
}

/**
 * Colours `img` from `strokes` (RGBA, 8-bit, width*height*4: painted where alpha > 0; the colour is the one
 * wanted). Returns a new image of the same depth with the same alpha and metadata (no longer marked grey when colour
 * was added); the input is not modified.
 */
export function colorizeImage<I extends ColorizeInput>(img: I, strokes: Uint8Array, options: ColorizeOptions = {}): { image: I; stats: ColorizeStats } {
  const t0 = performance.now();
  const o = { ...COLORIZE_DEFAULTS, ...options };
  const { width: w, height: h } = img;
  const n = w * h;
  if (strokes.length !== n * 4) {
    throw new ColorizeError(`the strokes have ${strokes.length / 4} pixels but the photo has ${n}; they must be the same size`);
  }
  const max = img.bitDepth === 16 ? 65535 : 255;
  const src = img.rgb;
  const out = src.slice() as typeof src;
  const painted = countPainted(strokes);
  const factor = Math.max(1, Math.ceil(Math.max(w, h) / o.workSize));
  const lw = Math.ceil(w / factor);
  const lh = Math.ceil(h / factor);
  const ln = lw * lh;
  const work = { width: lw, height: lh, factor };
  const result = (changed: number) => {
    const meta = img.meta && typeof img.meta === 'object' && changed > 0 ? { ...img.meta, isGrey: false } : img.meta;
    return { image: { ...img, rgb: out, meta } as I, stats: { painted, changed, work, ms: performance.now() - t0 } };
  };
  if (painted === 0) return result(0);

  // pass 1, full resolution: lightness; working-resolution sums of lightness, chroma, paint and painted chroma
  const lin = linearTable(max);
  const greyL = new Float32Array(max + 1);
  const lab = new Float64Array(3);
  for (let v = 0; v <= max; v++) {
    linearToOklab(lin[v], lin[v], lin[v], lab);
    greyL[v] = lab[0];
  }
  const L = new Float32Array(n);
  const cellX = new Int32Array(w);
  for (let x = 0; x < w; x++) cellX[x] = (x / factor) | 0;
  const sumL = new Float64Array(ln);
  const sumC = new Float64Array(ln);
  const sumA = new Float64Array(ln);
  const sumB = new Float64Array(ln);
  const count = new Float64Array(ln);
  const W = new Float64Array(ln);
  const Na = new Float64Array(ln);
  const Nb = new Float64Array(ln);
  const chromaOf = strokeChroma(strokes);
  for (let y = 0; y < h; y++) {
    const cellRow = ((y / factor) | 0) * lw;
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      const r = src[3 * i];
      const g = src[3 * i + 1];
      const b = src[3 * i + 2];
      const c = cellRow + cellX[x];
      if (r === g && g === b) L[i] = greyL[r];
      else {
        linearToOklab(lin[r], lin[g], lin[b], lab);
        L[i] = lab[0];
        sumA[c] += lab[1];
        sumB[c] += lab[2];
        sumC[c] += Math.hypot(lab[1], lab[2]);
      }
      sumL[c] += L[i];
      count[c]++;
      const sa = strokes[4 * i + 3];
      if (sa > 0) {
        const wt = sa / 255;
        const [pa, pb] = chromaOf(i);
        W[c] += wt;
        Na[c] += wt * pa;
        Nb[c] += wt * pb;
      }
    }
  }

  // the spread, at working resolution
  const guide = new Float32Array(ln);
  const hold = new Float64Array(ln);
  for (let c = 0; c < ln; c++) {
    guide[c] = sumL[c] / count[c];
    W[c] /= count[c];
    Na[c] /= count[c];
    Nb[c] /= count[c];
    hold[c] = o.hold + o.holdColour * Math.min(1, sumC[c] / count[c] / COLOURFUL);
  }
  // the edges the spread stops at: lightness smoothed a little, so grain and fine texture (which would stop it
  // everywhere) average out while a real edge keeps its full step (the transform sums |dL| across it)
  // on a colour photo, its own chroma edges count as well
  const dtGuides = [guide, sumA, sumB].map((g, k) => {
    const m = k === 0 ? g : g.map((v, c) => v / count[c]);
    return Float32Array.from(boxMean(m, lw, lh, 1));
  });
  // at three reaches: the nearest strokes decide a pixel's colour where they reach it (many dabs keep their local
  // colours), the farther-reaching spreads fill in where they do not, and the widest decides how much colour a
  // pixel takes at all
  const num = new Float64Array(ln);
  const numA = new Float64Array(ln);
  const numB = new Float64Array(ln);
  const long = Math.max(lw, lh);
  let widest = W;
  for (const [k, share] of o.scales.entries()) {
    const ch = [W.slice(), Na.slice(), Nb.slice()];
    domainTransformRF(dtGuides, lw, lh, ch, {
      sigmaS: Math.max(1, share * o.reach * long),
      sigmaR: o.edge,
      iterations: o.iterations,
      tolerance: o.tolerance,
    });
    const beta = o.scaleWeight ** k;
    for (let c = 0; c < ln; c++) {
      num[c] += beta * ch[0][c];
      numA[c] += beta * ch[1][c];
      numB[c] += beta * ch[2][c];
    }
    widest = ch[0];
  }
  const alpha = new Float64Array(ln);
  const Pa = new Float64Array(ln);
  const Pb = new Float64Array(ln);
  for (let c = 0; c < ln; c++) {
    alpha[c] = widest[c] / (widest[c] + hold[c]);
    const d = num[c] > 0 ? alpha[c] / num[c] : 0;
    Pa[c] = numA[c] * d;
    Pb[c] = numB[c] * d;
  }
  const maps = [alpha, Pa, Pb].map((q) => guidedCoefficients(guide, q, lw, lh, o.guideRadius, o.guideEps));

  // pass 2, full resolution: coefficients interpolated, evaluated with the pixel's own lightness
  const enc = encodeTable();
  const enc8 = encodeTable8(ENC8_STEPS);
  const rgbLin = new Float64Array(3);
  const x0 = new Int32Array(w);
  const fx = new Float32Array(w);
  for (let x = 0; x < w; x++) {
    const u = Math.min(lw - 1, Math.max(0, (x + 0.5) / factor - 0.5));
    x0[x] = Math.min(lw - 2, u | 0);
    fx[x] = lw === 1 ? 0 : u - x0[x];
    if (lw === 1) x0[x] = 0;
  }
  const rows = Array.from({ length: 6 }, () => new Float32Array(lw));
  const coef = maps.flatMap((m) => [m.A, m.B]);
  let changed = 0;
  for (let y = 0; y < h; y++) {
    const v = Math.min(lh - 1, Math.max(0, (y + 0.5) / factor - 0.5));
    const y0 = lh === 1 ? 0 : Math.min(lh - 2, v | 0);
    const fy = lh === 1 ? 0 : v - y0;
    const y1 = lh === 1 ? 0 : y0 + 1;
    for (let k = 0; k < 6; k++) {
      const m = coef[k];
      const row = rows[k];
      for (let c = 0; c < lw; c++) row[c] = m[y0 * lw + c] * (1 - fy) + m[y1 * lw + c] * fy;
    }
    const [rA0, rB0, rA1, rB1, rA2, rB2] = rows;
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      const c0 = x0[x];
      const c1 = lw === 1 ? 0 : c0 + 1;
      const f = fx[x];
      const l = L[i];
      let al = (rA0[c0] + (rA0[c1] - rA0[c0]) * f) * l + rB0[c0] + (rB0[c1] - rB0[c0]) * f;
      al = al < 0 ? 0 : al > 1 ? 1 : al;
      const sa = strokes[4 * i + 3];
      if (sa === 0 && al < UNCHANGED) continue;
      const pa = (rA1[c0] + (rA1[c1] - rA1[c0]) * f) * l + rB1[c0] + (rB1[c1] - rB1[c0]) * f;
      const pb = (rA2[c0] + (rA2[c1] - rA2[c0]) * f) * l + rB2[c0] + (rB2[c1] - rB2[c0]) * f;
      const r = src[3 * i];
      const g = src[3 * i + 1];
      const b = src[3 * i + 2];
      let oa = 0;
      let ob = 0;
      if (r !== g || g !== b) {
        linearToOklab(lin[r], lin[g], lin[b], lab);
        oa = lab[1];
        ob = lab[2];
      }
      let na = pa + (1 - al) * oa;
      let nb = pb + (1 - al) * ob;
      if (sa > 0) {
        const ws = sa / 255;
        const [ka, kb] = chromaOf(i);
        na = ws * ka + (1 - ws) * na;
        nb = ws * kb + (1 - ws) * nb;
      }
      oklabToLinearInGamut(l, na, nb, rgbLin);
      let R: number;
      let G: number;
      let B: number;
      if (max === 255) {
        R = enc8[(rgbLin[0] * ENC8_STEPS + 0.5) | 0];
        G = enc8[(rgbLin[1] * ENC8_STEPS + 0.5) | 0];
        B = enc8[(rgbLin[2] * ENC8_STEPS + 0.5) | 0];
      } else {
        R = Math.round(encodeLinear(enc, rgbLin[0]) * max);
        G = Math.round(encodeLinear(enc, rgbLin[1]) * max);
        B = Math.round(encodeLinear(enc, rgbLin[2]) * max);
      }
      if (R !== r || G !== g || B !== b) {
        out[3 * i] = R;
        out[3 * i + 1] = G;
        out[3 * i + 2] = B;
        changed++;
      }
    }
  }
  return result(changed);
}
