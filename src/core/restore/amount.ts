// How much of the local network's change a photo needs: "adapt to the photo". The network is trained on damaged
// photos and reshapes clean ones too (fine texture smoothed, detail wiped), and at light damage (a good JPEG, a
// modern camera's noise) it can do more harm than good. So once per photo, before the tiles run, a few statistics of
// the whole photo at full resolution (noise level from 8 x 8 blocks, edge strength, JPEG blocking, range) go into a
// tiny regressor fitted in training/fit_amount.py to the best blend of network and input on training photos (clean,
// damaged, JPEG, noisy); its parameters live in the restore model's manifest entry (`amount`), because the best
// blend depends on the network. The result, 0..1, multiplies the user's strength. One number per photo, from the
// photo alone: tiles cannot disagree, and it is the same on the CPU and a GPU.
//
// The same code computes the features for training (training/scripts/amount_features.ts), so training and the app
// cannot drift apart.
import type { AmountModel } from '../../shared/types';
import type { PixelImage } from '../image/planar';

const B = 8; // block side: the JPEG grid
/**
 * Blocks examined at most at scale 1 (and 1/s^2 of it at scale s, so every scale reads about as many pixels); larger
 * photos take an even sample of block rows and columns. The training crops (384 px) stay under it at every scale.
 */
const MAX_BLOCKS = 20_000;
const SCALES = [1, 2, 4] as const; // block pixels are the means of s x s photo pixels: fine noise, then coarse grain
const LUMA = [0.299, 0.587, 0.114] as const;
const NOISE_K = Math.sqrt(Math.PI / 2) / 6; // Immerkaer (1996): sigma from mean |I * N|

/** The names of the features, in order (the manifest entry's `features` must list the same). */
export const AMOUNT_FEATURES = [
  ...SCALES.flatMap((s) => [`noise${s}_q10`, `noise${s}_q25`, `noise${s}_q50`, `chroma${s}_q10`, `chroma${s}_q50`, `edge${s}_q50`, `edge${s}_q90`]),
  'blocking',
  'black',
  'range',
  'saturation',
] as const;

function quantile(v: Float64Array, n: number, q: number): number {
  if (n === 0) return 0;
  const s = v.slice(0, n).sort();
  const p = q * (n - 1);
  const i = Math.floor(p);
  return i + 1 < n ? s[i] + (p - i) * (s[i + 1] - s[i]) : s[i];
}

interface BlockStats {
  n: number;
  noise: Float64Array; // luma noise level per block (levels)
  chroma: Float64Array; // mean of the R, G and B noise levels
  edge: Float64Array; // mean absolute luma step
  level: Float64Array; // mean luma
  sat: Float64Array; // max - min of the block's mean R, G, B
  blocking: number; // log((steps across block edges + 0.5) / (steps inside + 0.5)), the JPEG grid (scale 1)
}

/**
 * 8 x 8 blocks of the photo seen at 1/s of its size (each block pixel the mean of s x s photo pixels), on the 0..255
 * scale: per block the noise level of luma and of each colour (Immerkaer's 3 x 3 operator inside the block), the mean
 * luma step, the mean luma and colourfulness; and over all blocks the steps across their right and bottom edges
 * against the steps inside them.
 */
function blockStats(img: PixelImage, s: number): BlockStats {
  const { width: w, height: h, rgb } = img;
  const k = (img.bitDepth === 16 ? 255 / 65535 : 1) / (s * s);
  const S = B * s; // photo pixels per block side
  const bw = Math.floor(w / S);
  const bh = Math.floor(h / S);
  const stride = Math.max(1, Math.ceil(Math.sqrt((bw * bh * s * s) / MAX_BLOCKS)));
  const cap = Math.ceil(bw / stride) * Math.ceil(bh / stride) + 1;
  const st: BlockStats = {
    n: 0,
    noise: new Float64Array(cap),
    chroma: new Float64Array(cap),
    edge: new Float64Array(cap),
    level: new Float64Array(cap),
    sat: new Float64Array(cap),
    blocking: 0,
  };
  let across = 0;
  let inside = 0;
  let nAcross = 0;
  let nInside = 0;
  const W1 = B + 1;
  const Y = new Float64Array(W1 * W1);
  const C = [new Float64Array(B * B), new Float64Array(B * B), new Float64Array(B * B)];
  for (let by = 0; by < bh; by += stride) {
    for (let bx = 0; bx < bw; bx += stride) {
      const x0 = bx * S;
      const y0 = by * S;
      // the block plus one pixel right and below (for the steps across its edges) where the photo has them
      const ex = x0 + S + s <= w ? W1 : B;
      const ey = y0 + S + s <= h ? W1 : B;
      let sum = 0;
      let mr = 0;
      let mg = 0;
      let mb = 0;
      for (let yy = 0; yy < ey; yy++) {
        for (let xx = 0; xx < ex; xx++) {
          let r = 0;
          let g = 0;
          let b = 0;
          for (let dy = 0; dy < s; dy++) {
            let i = ((y0 + yy * s + dy) * w + x0 + xx * s) * 3;
            for (let dx = 0; dx < s; dx++, i += 3) {
              r += rgb[i];
              g += rgb[i + 1];
              b += rgb[i + 2];
            }
          }
          r *= k;
          g *= k;
          b *= k;
          const v = LUMA[0] * r + LUMA[1] * g + LUMA[2] * b;
          Y[yy * W1 + xx] = v;
          if (yy < B && xx < B) {
            const j = yy * B + xx;
            C[0][j] = r;
            C[1][j] = g;
            C[2][j] = b;
            sum += v;
            mr += r;
            mg += g;
            mb += b;
          }
        }
      }
      let nz = 0;
      let cz = 0;
      for (let yy = 1; yy < B - 1; yy++) {
        for (let xx = 1; xx < B - 1; xx++) {
          const o = yy * W1 + xx;
          nz += Math.abs(
            Y[o - W1 - 1] - 2 * Y[o - W1] + Y[o - W1 + 1] - 2 * Y[o - 1] + 4 * Y[o] - 2 * Y[o + 1] + Y[o + W1 - 1] - 2 * Y[o + W1] + Y[o + W1 + 1],
          );
          const q = yy * B + xx;
          for (const c of C) {
            cz += Math.abs(c[q - B - 1] - 2 * c[q - B] + c[q - B + 1] - 2 * c[q - 1] + 4 * c[q] - 2 * c[q + 1] + c[q + B - 1] - 2 * c[q + B] + c[q + B + 1]);
          }
        }
      }
      let grad = 0;
      for (let yy = 0; yy < B; yy++) {
        for (let xx = 0; xx < B; xx++) {
          const o = yy * W1 + xx;
          if (xx + 1 < B) {
            const d = Math.abs(Y[o + 1] - Y[o]);
            grad += d;
            inside += d;
            nInside++;
          } else if (ex > B) {
            across += Math.abs(Y[o + 1] - Y[o]);
            nAcross++;
          }
          if (yy + 1 < B) {
            const d = Math.abs(Y[o + W1] - Y[o]);
            grad += d;
            inside += d;
            nInside++;
          } else if (ey > B) {
            across += Math.abs(Y[o + W1] - Y[o]);
            nAcross++;
          }
        }
      }
      const inner = (B - 2) * (B - 2);
      const n = st.n++;
      st.noise[n] = (nz / inner) * NOISE_K;
      st.chroma[n] = (cz / (3 * inner)) * NOISE_K;
      st.edge[n] = grad / (2 * B * (B - 1));
      st.level[n] = sum / (B * B);
      st.sat[n] = (Math.max(mr, mg, mb) - Math.min(mr, mg, mb)) / (B * B);
    }
  }
  st.blocking = nAcross > 0 && nInside > 0 ? Math.log((across / nAcross + 0.5) / (inside / nInside + 0.5)) : 0;
  return st;
}

/** Leaves out blocks near black or white (their noise is clipped) when at least a tenth of the blocks remain. */
function midtones(st: BlockStats): number {
  let m = 0;
  for (let i = 0; i < st.n; i++) if (st.level[i] > 12 && st.level[i] < 243) m++;
  if (m < Math.max(8, st.n / 10)) return st.n;
  let j = 0;
  for (let i = 0; i < st.n; i++) {
    if (st.level[i] > 12 && st.level[i] < 243) {
      st.noise[j] = st.noise[i];
      st.chroma[j] = st.chroma[i];
      st.edge[j] = st.edge[i];
      j++;
    }
  }
  return j;
}

/**
 * The photo's features (AMOUNT_FEATURES order), from 8 x 8 blocks of its full-resolution pixels and of the photo
 * seen at 1/2 and 1/4 of its size: noise level (luma, colour) and edge strength quantiles per scale, as log(1 + v);
 * JPEG blocking; the black point, the range and the colourfulness of the block means (fading, casts).
 */
export function photoFeatures(img: PixelImage): number[] {
  const ln = (v: number) => Math.log1p(Math.max(0, v));
  const out: number[] = [];
  let first: BlockStats | null = null;
  for (const s of SCALES) {
    const st = blockStats(img, s);
    if (st.n === 0) {
      out.push(0, 0, 0, 0, 0, 0, 0);
      continue;
    }
    first ??= st;
    const m = midtones(st);
    out.push(
      ln(quantile(st.noise, m, 0.1)),
      ln(quantile(st.noise, m, 0.25)),
      ln(quantile(st.noise, m, 0.5)),
      ln(quantile(st.chroma, m, 0.1)),
      ln(quantile(st.chroma, m, 0.5)),
      ln(quantile(st.edge, m, 0.5)),
      ln(quantile(st.edge, m, 0.9)),
    );
  }
  if (!first) return AMOUNT_FEATURES.map(() => 0);
  const lo = quantile(first.level, first.n, 0.01);
  const hi = quantile(first.level, first.n, 0.99);
  return [...out, first.blocking, lo / 255, (hi - lo) / 255, ln(quantile(first.sat, first.n, 0.5))];
}

/**
 * The regressor: standardise, one hidden layer of tanh units, a sigmoid out. Returns 0..1, or 1 for a model entry
 * without `amount` (the network at the user's strength, as before).
 */
export function predictAmount(features: readonly number[], model: AmountModel | undefined): number {
  if (!model) return 1;
  const x = features.map((f, i) => (f - model.mean[i]) / model.std[i]);
  let out = model.b2;
  for (let j = 0; j < model.b1.length; j++) {
    let a = model.b1[j];
    for (let i = 0; i < x.length; i++) a += model.w1[j][i] * x[i];
    out += model.w2[j] * Math.tanh(a);
  }
  return 1 / (1 + Math.exp(-out));
}
