// "Keep film grain": after the local network has removed noise and grain, add back grain that matches what it
// removed, so a restored print need not look plastic. Measured once per photo from the residual (input - restored):
// its strength at each brightness (a robust spread per luma band), how coarse it is (the correlation of neighbouring
// residuals -> the width of a Gaussian that shapes white noise the same way) and how coloured (chroma spread over
// luma spread; 0 for a black-and-white or toned print, whose grain is silver, not dye: so grey stays grey and
// sepia stays sepia). The added grain is new, clean noise, not the
// removed residual (which also holds JPEG blocks and scratches): white noise drawn from a hash of the pixel's position
// (so any tiling or strip order gives the same grain), shaped by that Gaussian, scaled by the band's spread.
import type { PixelImage } from '../image/planar';

/** What was measured of the removed grain, in [0, 1] units (JSON-ready: reported in the photo's info). */
export interface GrainModel {
  /** Spread (standard deviation) of the removed luma grain in each of BANDS brightness bands, dark to light. */
  sigma: number[];
  /** Spread of the removed chroma over that of the luma (0: grey grain). */
  chroma: number;
  /** Width (Gaussian sigma, px) that gives white noise the removed grain's neighbour correlation; 0 = per pixel. */
  size: number;
}

export const BANDS = 8;
const HIST = 1024; // residual histogram bins over [-RANGE, RANGE]
const RANGE = 0.25;
const MAX_SIZE = 2.5;

const LUMA = [0.299, 0.587, 0.114] as const;
/** Spread of a photo's chroma that its luma does not explain (a toned print's hue follows its luma), below which the
 * photo counts as black-and-white or toned: 0.02 of full scale, about 5 levels. */
const MONO_CHROMA = 0.02;

/** Running sums for the least-squares fit of a value on luma, and the spread of what the fit leaves. */
class Fit {
  n = 0;
  y = 0;
  yy = 0;
  c = 0;
  cy = 0;
  cc = 0;
  add(y: number, c: number): void {
    this.n++;
    this.y += y;
    this.yy += y * y;
    this.c += c;
    this.cy += c * y;
    this.cc += c * c;
  }
  /** Standard deviation of c - (a + b y) for the best a, b. */
  residualSpread(): number {
    const { n } = this;
    if (n < 2) return 0;
    const vy = this.yy / n - (this.y / n) ** 2;
    const vc = this.cc / n - (this.c / n) ** 2;
    const cov = this.cy / n - (this.y / n) * (this.c / n);
    return Math.sqrt(Math.max(0, vc - (vy > 1e-12 ? (cov * cov) / vy : 0)));
  }
}

function scaleOf(img: PixelImage): number {
  return img.bitDepth === 16 ? 65535 : 255;
}

/** The spread of a histogram's values: 1.4826 x the median absolute deviation from the median (robust to outliers). */
function robustSpread(hist: Float64Array, total: number): number {
  if (total < 64) return 0;
  const bin = (2 * RANGE) / HIST;
  const quantile = (h: Float64Array, q: number) => {
    let acc = 0;
    for (let i = 0; i < h.length; i++) {
      acc += h[i];
      if (acc >= q * total) return i;
    }
    return h.length - 1;
  };
  const med = quantile(hist, 0.5);
  const dev = new Float64Array(HIST);
  for (let i = 0; i < HIST; i++) dev[Math.abs(i - med)] += hist[i];
  return 1.4826 * quantile(dev, 0.5) * bin;
}

function histIndex(v: number): number {
  const i = Math.floor(((v + RANGE) / (2 * RANGE)) * HIST);
  return i < 0 ? 0 : i >= HIST ? HIST - 1 : i;
}

/**
 * Measures the grain the network removed: `input` went into the local stage, `restored` came out (same size). Reads
 * every `step`-th row pair (a 12 MP photo: about 1.5 M pixels), so it costs a few tens of milliseconds.
 */
export function measureGrain(input: PixelImage, restored: PixelImage, step = 4): GrainModel {
  const { width: w, height: h } = input;
  const k = 1 / scaleOf(input);
  const kr = 1 / scaleOf(restored);
  const bands = Array.from({ length: BANDS }, () => new Float64Array(HIST));
  const counts = new Float64Array(BANDS);
  const chromaHist = new Float64Array(HIST);
  let chromaN = 0;
  const hue = [new Fit(), new Fit()]; // the restored photo's two chroma axes against its luma
  const a = input.rgb;
  const b = restored.rgb;
  const res = (i: number): [number, number, number] => [a[i] * k - b[i] * kr, a[i + 1] * k - b[i + 1] * kr, a[i + 2] * k - b[i + 2] * kr];
  // neighbour correlation of the luma residual, over pixels inside 3 robust spreads (filled on a second pass)
  const rows: number[] = [];
  for (let y = 0; y + 1 < h; y += step) rows.push(y);
  for (const y of rows) {
    for (let x = 0; x < w; x++) {
      const i = (y * w + x) * 3;
      const [r, g, bl] = res(i);
      const ry = LUMA[0] * r + LUMA[1] * g + LUMA[2] * bl;
      const lum = (LUMA[0] * b[i] + LUMA[1] * b[i + 1] + LUMA[2] * b[i + 2]) * kr;
      hue[0].add(lum, ((b[i] - b[i + 1]) * kr) / Math.SQRT2);
      hue[1].add(lum, ((b[i] + b[i + 1] - 2 * b[i + 2]) * kr) / Math.sqrt(6));
      const band = Math.min(BANDS - 1, Math.max(0, Math.floor(lum * BANDS)));
      bands[band][histIndex(ry)]++;
      counts[band]++;
      chromaHist[histIndex((r - g) / Math.SQRT2)]++;
      chromaN++;
    }
  }
  const total = counts.reduce((s, c) => s + c, 0);
  const all = new Float64Array(HIST);
  for (const hb of bands) for (let i = 0; i < HIST; i++) all[i] += hb[i];
  const overall = robustSpread(all, total);
  // a band with too few pixels takes the photo's overall spread
  const sigma = bands.map((hb, j) => (counts[j] >= 256 ? robustSpread(hb, counts[j]) : overall));
  const mono = Math.max(hue[0].residualSpread(), hue[1].residualSpread()) < MONO_CHROMA;
  const chroma = mono || overall <= 0 ? 0 : Math.min(1.5, robustSpread(chromaHist, chromaN) / overall);
  // coarseness: lag-1 correlation (right and down neighbours) of the luma residual, outliers left out
  let sxy = 0;
  let sxx = 0;
  const lim = 3 * overall;
  if (overall > 0) {
    for (const y of rows) {
      for (let x = 0; x + 1 < w; x++) {
        const i = (y * w + x) * 3;
        const ry = (j: number) => {
          const [r, g, bl] = res(j);
          return LUMA[0] * r + LUMA[1] * g + LUMA[2] * bl;
        };
        const c = ry(i);
        if (Math.abs(c) > lim) continue;
        const right = ry(i + 3);
        const down = ry(i + 3 * w);
        if (Math.abs(right) <= lim) {
          sxy += c * right;
          sxx += c * c;
        }
        if (Math.abs(down) <= lim) {
          sxy += c * down;
          sxx += c * c;
        }
      }
    }
  }
  const rho = sxx > 0 ? sxy / sxx : 0;
  // white noise blurred by a Gaussian of width s has lag-1 correlation exp(-1 / (4 s^2))
  const size = rho <= 0.05 ? 0 : rho >= 0.95 ? MAX_SIZE : Math.min(MAX_SIZE, Math.sqrt(-1 / (4 * Math.log(rho))));
  return { sigma, chroma, size };
}

/** A standard normal value for (x, y, plane, seed), the same whatever else is computed: a hash, then Box-Muller. */
function gauss(x: number, y: number, plane: number, seed: number): number {
  let h = Math.imul(x, 0x27d4eb2d) ^ Math.imul(y, 0x165667b1) ^ Math.imul(plane + 1, 0x9e3779b1) ^ seed;
  h = Math.imul(h ^ (h >>> 15), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  h ^= h >>> 16;
  let g = Math.imul(h ^ 0x5bd1e995, 0x1b873593);
  g = Math.imul(g ^ (g >>> 15), 0x85ebca6b);
  g ^= g >>> 13;
  const u1 = ((h >>> 0) + 1) / 4294967297;
  const u2 = (g >>> 0) / 4294967296;
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

function kernel(size: number): Float32Array {
  if (size <= 0) return Float32Array.of(1);
  const r = Math.ceil(3 * size);
  const k = new Float32Array(2 * r + 1);
  let s2 = 0;
  for (let i = -r; i <= r; i++) k[i + r] = Math.exp(-(i * i) / (2 * size * size));
  // normalised so the blurred noise keeps unit variance: the 2-D kernel is k x k, its energy (sum k^2)^2
  for (const v of k) s2 += v * v;
  const norm = 1 / Math.sqrt(s2);
  for (let i = 0; i < k.length; i++) k[i] *= norm;
  return k;
}

const STRIP = 128;

/**
 * Adds grain of the measured kind to `img` in place (it is the local stage's own output), strip by strip (memory
 * bounded whatever the photo's size). `seed` varies the pattern; the same seed gives the same grain for any strip
 * order or tiling. Returns img.
 */
export function addGrain<I extends PixelImage>(img: I, g: GrainModel, seed = 0x5eed): I {
  const { width: w, height: h } = img;
  if (!g.sigma.some((s) => s > 0)) return img;
  const k = kernel(g.size);
  const r = (k.length - 1) / 2;
  const planes = g.chroma > 0 ? 3 : 1;
  const max = scaleOf(img);
  const px = img.rgb;
  // chroma directions orthogonal to grey: u = (1, -1, 0) / sqrt 2, v = (1, 1, -2) / sqrt 6
  const U = [1 / Math.SQRT2, -1 / Math.SQRT2, 0];
  const V = [1 / Math.sqrt(6), 1 / Math.sqrt(6), -2 / Math.sqrt(6)];
  const bw = w + 2 * r;
  for (let y0 = 0; y0 < h; y0 += STRIP) {
    const sh = Math.min(STRIP, h - y0);
    const bh = sh + 2 * r;
    // white noise over the strip and its halo (from the position hash), blurred across then down
    const shaped: Float32Array[] = [];
    for (let p = 0; p < planes; p++) {
      const raw = new Float32Array(bw * bh);
      for (let yy = 0; yy < bh; yy++) {
        for (let xx = 0; xx < bw; xx++) raw[yy * bw + xx] = gauss(xx - r, y0 + yy - r, p, seed);
      }
      const across = new Float32Array(w * bh);
      for (let yy = 0; yy < bh; yy++) {
        for (let x = 0; x < w; x++) {
          let s = 0;
          for (let t = 0; t < k.length; t++) s += k[t] * raw[yy * bw + x + t];
          across[yy * w + x] = s;
        }
      }
      const out = new Float32Array(w * sh);
      for (let y = 0; y < sh; y++) {
        for (let x = 0; x < w; x++) {
          let s = 0;
          for (let t = 0; t < k.length; t++) s += k[t] * across[(y + t) * w + x];
          out[y * w + x] = s;
        }
      }
      shaped.push(out);
    }
    for (let y = 0; y < sh; y++) {
      for (let x = 0; x < w; x++) {
        const j = y * w + x;
        const i = ((y0 + y) * w + x) * 3;
        const lum = (LUMA[0] * px[i] + LUMA[1] * px[i + 1] + LUMA[2] * px[i + 2]) / max;
        // the band's spread, linear between band centres
        const f = Math.min(BANDS - 1, Math.max(0, lum * BANDS - 0.5));
        const lo = Math.floor(f);
        const hi = Math.min(BANDS - 1, lo + 1);
        const s = g.sigma[lo] + (g.sigma[hi] - g.sigma[lo]) * (f - lo);
        const n = shaped[0][j];
        for (let c = 0; c < 3; c++) {
          let d = n;
          if (planes === 3) d += g.chroma * (U[c] * shaped[1][j] + V[c] * shaped[2][j]);
          const v = px[i + c] + s * d * max;
          px[i + c] = v <= 0 ? 0 : v >= max ? max : Math.round(v);
        }
      }
    }
  }
  return img;
}
