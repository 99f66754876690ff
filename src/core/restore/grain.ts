// "Keep film grain": after the local network has removed noise and grain, add back grain that matches what it
// removed, so a restored print need not look plastic. Measured once per photo from the residual (input - restored):
// its strength at each brightness (a robust spread per luma band), how coarse it is (the correlation of neighbouring
// residuals -> the width of a Gaussian that shapes white noise the same way) and how coloured (chroma spread over
// luma spread; 0 for a black-and-white or toned print, whose grain is silver, not dye: grey stays grey, sepia stays
// sepia). The added grain is new, clean noise, not the removed residual (which also holds JPEG blocks and scratches):
// white noise from a hash of position, shaped by that Gaussian into periodic textures that blocks of the photo read
// at offsets of their own, scaled by the band's spread.
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
  /** The luma of the residual (input - restored) at byte offset i. */
  const ry = (i: number) =>
    LUMA[0] * (a[i] * k - b[i] * kr) + LUMA[1] * (a[i + 1] * k - b[i + 1] * kr) + LUMA[2] * (a[i + 2] * k - b[i + 2] * kr);
  // every `step`-th row: the spreads and the colour on this pass, the neighbour correlation on a second one
  const rows: number[] = [];
  for (let y = 0; y + 1 < h; y += step) rows.push(y);
  for (const y of rows) {
    for (let x = 0; x < w; x++) {
      const i = (y * w + x) * 3;
      const r = a[i] * k - b[i] * kr;
      const g = a[i + 1] * k - b[i + 1] * kr;
      const y0 = ry(i);
      const lum = (LUMA[0] * b[i] + LUMA[1] * b[i + 1] + LUMA[2] * b[i + 2]) * kr;
      hue[0].add(lum, ((b[i] - b[i + 1]) * kr) / Math.SQRT2);
      hue[1].add(lum, ((b[i] + b[i + 1] - 2 * b[i + 2]) * kr) / Math.sqrt(6));
      const band = Math.min(BANDS - 1, Math.max(0, Math.floor(lum * BANDS)));
      bands[band][histIndex(y0)]++;
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

/**
 * Standard normal values at the 65,536 quantiles (i + 0.5) / 65536, so a 16-bit hash picks a normal draw with one
 * lookup (Box-Muller's log and cosine per pixel cost a 12 MP photo seconds). Inverse normal CDF: Acklam's rational
 * approximation (relative error under 1.2e-9).
 */
const NORMAL = (() => {
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const inv = (p: number): number => {
    const lo = 0.02425;
    if (p < lo || p > 1 - lo) {
      const q = Math.sqrt(-2 * Math.log(p < lo ? p : 1 - p));
      const v = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
      return p < lo ? v : -v;
    }
    const q = p - 0.5;
    const r = q * q;
    return ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
  };
  const t = new Float32Array(65536);
  for (let i = 0; i < t.length; i++) t[i] = inv((i + 0.5) / 65536);
  return t;
})();

/** A 32-bit hash of (x, y, plane, seed) (murmur3's finaliser over a mix of the four). */
function hash(x: number, y: number, plane: number, seed: number): number {
  let h = Math.imul(x, 0x27d4eb2d) ^ Math.imul(y, 0x165667b1) ^ Math.imul(plane + 1, 0x9e3779b1) ^ seed;
  h = Math.imul(h ^ (h >>> 15), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** A standard normal value for (x, y, plane, seed), the same whatever else is computed: a hash, then the table. */
function gauss(x: number, y: number, plane: number, seed: number): number {
  return NORMAL[hash(x, y, plane, seed) & 0xffff];
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

const TEX = 1024; // the shaped-noise texture's side (periodic), per plane
const BLOCK = 128; // each block of BLOCK x BLOCK pixels reads the texture from its own offset

/** White noise over a TEX x TEX torus, blurred by the kernel with wrap-around: periodic shaped noise of unit variance. */
function texture(k: Float32Array, plane: number, seed: number): Float32Array {
  const r = (k.length - 1) / 2;
  const raw = new Float32Array(TEX * TEX);
  for (let y = 0; y < TEX; y++) for (let x = 0; x < TEX; x++) raw[y * TEX + x] = gauss(x, y, plane, seed);
  if (r === 0) return raw;
  const m = TEX - 1;
  const across = new Float32Array(TEX * TEX);
  for (let y = 0; y < TEX; y++) {
    const row = y * TEX;
    for (let x = 0; x < TEX; x++) {
      let s = 0;
      for (let t = 0; t < k.length; t++) s += k[t] * raw[row + ((x + t - r) & m)];
      across[row + x] = s;
    }
  }
  const out = raw; // reused
  for (let y = 0; y < TEX; y++) {
    for (let x = 0; x < TEX; x++) {
      let s = 0;
      for (let t = 0; t < k.length; t++) s += k[t] * across[((y + t - r) & m) * TEX + x];
      out[y * TEX + x] = s;
    }
  }
  return out;
}

/**
 * Adds grain of the measured kind to `img` in place (it is the local stage's own output). The grain is read from
 * periodic textures of shaped noise (one per plane, TEX x TEX), each BLOCK x BLOCK block of the photo at its own
 * offset from a hash of the block's position: no repeat a person could see, one lookup per pixel, memory bounded
 * whatever the photo's size. `seed` varies the pattern; the same photo always gets the same grain. Returns img.
 */
export function addGrain<I extends PixelImage>(img: I, g: GrainModel, seed = 0x5eed): I {
  const { width: w, height: h } = img;
  if (!g.sigma.some((s) => s > 0)) return img;
  const k = kernel(g.size);
  const planes = g.chroma > 0 ? 3 : 1;
  const tex = Array.from({ length: planes }, (_, p) => texture(k, p, seed));
  const max = scaleOf(img);
  const px = img.rgb;
  // chroma directions orthogonal to grey: u = (1, -1, 0) / sqrt 2, v = (1, 1, -2) / sqrt 6
  const U = [1 / Math.SQRT2, -1 / Math.SQRT2, 0];
  const V = [1 / Math.sqrt(6), 1 / Math.sqrt(6), -2 / Math.sqrt(6)];
  const m = TEX - 1;
  for (let y = 0; y < h; y++) {
    const by = Math.floor(y / BLOCK);
    for (let x0 = 0; x0 < w; x0 += BLOCK) {
      const bx = x0 / BLOCK;
      // the block's offset into the textures
      const o = hash(bx, by, 7, seed);
      const ox = o & m;
      const oy = (o >>> 10) & m;
      const trow = ((y + oy) & m) * TEX;
      const x1 = Math.min(w, x0 + BLOCK);
      for (let x = x0; x < x1; x++) {
        const i = (y * w + x) * 3;
        const lum = (LUMA[0] * px[i] + LUMA[1] * px[i + 1] + LUMA[2] * px[i + 2]) / max;
        // the band's spread, linear between band centres
        const f = Math.min(BANDS - 1, Math.max(0, lum * BANDS - 0.5));
        const lo = Math.floor(f);
        const hi = Math.min(BANDS - 1, lo + 1);
        const s = (g.sigma[lo] + (g.sigma[hi] - g.sigma[lo]) * (f - lo)) * max;
        const t = trow + ((x + ox) & m);
        const n = tex[0][t];
        const cu = planes === 3 ? g.chroma * tex[1][t] : 0;
        const cv = planes === 3 ? g.chroma * tex[2][t] : 0;
        for (let c = 0; c < 3; c++) {
          const v = px[i + c] + s * (n + U[c] * cu + V[c] * cv);
          px[i + c] = v <= 0 ? 0 : v >= max ? max : Math.round(v);
        }
      }
    }
  }
  return img;
}
