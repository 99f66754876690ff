// "Keep the photo's tones": the local network is there for noise, grain, blur, JPEG artefacts and small marks; the
// tone stage owns brightness and colour over areas. Trained on prints that also faded, the network learned to shift
// tones as well, and on photos that are not faded it does so wrongly: a dim camera shot comes back brighter, a clean
// photo's colours move (docs/training/restorer.md, "Keep the photo's tones"). So the broad part of its change (a
// low-pass of about 6 px sigma) may move a pixel by at most LIMIT (3 levels of 8 bits, as the length of the RGB
// vector). What the network does to noise, grain, blur, JPEG blocks, specks and scratches has almost nothing at that
// scale (a removed 3 px speck of 100 levels leaves 3 there; sigma-25 noise under 1) and stays; a shift of tones or
// colour over an area does not. A sigma of 2 px helped clean and camera photos more, but brought specks back as faint
// dots and coarse grain as blotches.
//
// The low-pass: 4 x 4 block means, a Gaussian of 1.4 blocks over them, bilinear back to pixels (sigma about 6 px
// in all, a few operations per pixel). Applied per tile to the network's output before blending (restore.ts); it
// reaches about 28 px, less than the quarter of the overlap where a tile's blending weight is 0, so tiles agree.

/** The most the broad part of the network's change may move a pixel ([0, 1] units: 3 levels of 8 bits). */
export const KEEP_TONES_LIMIT = 3 / 255;
const BLOCK = 4; // a power of two: block indices are shifts
const SHIFT = 2;
const SIGMA_BLOCKS = 1.4;

function gaussianTaps(sigma: number): Float32Array {
  const r = Math.ceil(3 * sigma);
  const k = new Float32Array(2 * r + 1);
  let sum = 0;
  for (let i = -r; i <= r; i++) sum += k[i + r] = Math.exp(-(i * i) / (2 * sigma * sigma));
  for (let i = 0; i < k.length; i++) k[i] /= sum;
  return k;
}

const TAPS = gaussianTaps(SIGMA_BLOCKS);

/** Separable Gaussian blur of one w x h plane, edges clamped; `tmp` (w * h) is scratch. In place. */
function blurPlane(p: Float32Array, w: number, h: number, tmp: Float32Array, k: Float32Array = TAPS): void {
  const r = (k.length - 1) >> 1;
  for (let y = 0; y < h; y++) {
    const row = y * w;
    for (let x = 0; x < w; x++) {
      let s = 0;
      for (let j = -r; j <= r; j++) {
        const xx = x + j < 0 ? 0 : x + j >= w ? w - 1 : x + j;
        s += k[j + r] * p[row + xx];
      }
      tmp[row + x] = s;
    }
  }
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let s = 0;
      for (let j = -r; j <= r; j++) {
        const yy = y + j < 0 ? 0 : y + j >= h ? h - 1 : y + j;
        s += k[j + r] * tmp[yy * w + x];
      }
      p[y * w + x] = s;
    }
  }
}

/** Values of scratch keepTones needs for a w x h tile. */
export function keepTonesScratch(w: number, h: number): number {
  return 4 * Math.ceil(w / BLOCK) * Math.ceil(h / BLOCK) + 2 * w;
}

/**
 * Limits the broad part of the network's change, in place: `out` is the network's planar [3, outH, outStride]
 * output (the tile's w x h pixels at its top left), `input` the tile's planar [3, h, w] input, both in [0, 1].
 * `scratch` holds at least keepTonesScratch(w, h) values (reused across tiles).
 */
export function keepTones(
  out: Float32Array,
  outStride: number,
  outH: number,
  input: Float32Array,
  w: number,
  h: number,
  scratch: Float32Array,
  limit: number = KEEP_TONES_LIMIT,
): void {
  const bw = Math.ceil(w / BLOCK);
  const bh = Math.ceil(h / BLOCK);
  const nb = bw * bh;
  const plane = outStride * outH;
  const small = [0, 1, 2].map((c) => scratch.subarray(c * nb, (c + 1) * nb));
  const tmp = scratch.subarray(3 * nb, 4 * nb);
  // block means of the change
  for (let c = 0; c < 3; c++) {
    const sc = small[c].fill(0);
    for (let y = 0; y < h; y++) {
      const o = c * plane + y * outStride;
      const i = c * w * h + y * w;
      const brow = (y >> SHIFT) * bw;
      for (let x = 0; x < w; x++) sc[brow + (x >> SHIFT)] += out[o + x] - input[i + x];
    }
    for (let by = 0; by < bh; by++) {
      const rows = Math.min(BLOCK, h - by * BLOCK);
      for (let bx = 0; bx < bw; bx++) sc[by * bw + bx] /= rows * Math.min(BLOCK, w - bx * BLOCK);
    }
    blurPlane(sc, bw, bh, tmp);
  }
  // bilinear back to pixels (block centres at (b + 0.5) * BLOCK - 0.5), then the limit
  const x0 = scratch.subarray(4 * nb, 4 * nb + w);
  const fx = scratch.subarray(4 * nb + w, 4 * nb + 2 * w);
  for (let x = 0; x < w; x++) {
    const u = Math.min(Math.max((x + 0.5) / BLOCK - 0.5, 0), bw - 1);
    x0[x] = Math.min(u | 0, Math.max(bw - 2, 0));
    fx[x] = bw > 1 ? u - x0[x] : 0;
  }
  const [s0, s1, s2] = small;
  for (let y = 0; y < h; y++) {
    const v = Math.min(Math.max((y + 0.5) / BLOCK - 0.5, 0), bh - 1);
    const y0 = Math.min(v | 0, Math.max(bh - 2, 0));
    const fy = bh > 1 ? v - y0 : 0;
    const r0 = y0 * bw;
    const r1 = bh > 1 ? r0 + bw : r0;
    const dx = bw > 1 ? 1 : 0;
    for (let x = 0; x < w; x++) {
      const a = r0 + x0[x];
      const b = r1 + x0[x];
      const f = fx[x];
      const w00 = (1 - f) * (1 - fy);
      const w01 = f * (1 - fy);
      const w10 = (1 - f) * fy;
      const w11 = f * fy;
      const d0 = w00 * s0[a] + w01 * s0[a + dx] + w10 * s0[b] + w11 * s0[b + dx];
      const d1 = w00 * s1[a] + w01 * s1[a + dx] + w10 * s1[b] + w11 * s1[b + dx];
      const d2 = w00 * s2[a] + w01 * s2[a + dx] + w10 * s2[b] + w11 * s2[b + dx];
      const len = Math.sqrt(d0 * d0 + d1 * d1 + d2 * d2);
      if (len <= limit) continue;
      const s = (len - limit) / len; // remove all but `limit` of the broad change
      const o = y * outStride + x;
      out[o] -= s * d0;
      out[plane + o] -= s * d1;
      out[2 * plane + o] -= s * d2;
    }
  }
}
