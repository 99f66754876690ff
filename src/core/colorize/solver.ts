// The edge-aware spread of stroke colours at the working resolution: normalised convolution with the domain
// transform's recursive filter (Gastal and Oliveira, "Domain Transform for Edge-Aware Image and Video Processing",
// SIGGRAPH 2011), guided by lightness, so colour flows freely over regions of similar lightness and hardly across
// edges. Then the fast guided filter's linear coefficients (He and Sun 2015), which carry the result to full
// resolution along the photo's own edges. Plain typed arrays, linear time.

export interface SpreadParams {
  /** Spatial reach in working pixels (the domain transform's sigma_s). */
  sigmaS: number;
  /** Lightness difference (Oklab L, 0..1) that counts as an edge (sigma_r). */
  sigmaR: number;
  /** Filter iterations (each a horizontal and a vertical pass with a shrinking sigma). */
  iterations: number;
  /** Lightness steps below this multiple of the median step cost nothing (texture and grain do not stop colour). */
  tolerance: number;
}

/** The median of the non-zero-index steps (a 4096-bin histogram over 0..0.25; steps above count as 0.25). */
function medianStep(dx: Float32Array, dy: Float32Array): number {
  const bins = new Uint32Array(4096);
  let total = 0;
  for (const d of [dx, dy]) {
    for (let i = 0; i < d.length; i++) {
      bins[Math.min(4095, (d[i] * 16384) | 0)]++;
      total++;
    }
  }
  let acc = 0;
  for (let b = 0; b < 4096; b++) {
    acc += bins[b];
    if (acc >= total / 2) return (b + 0.5) / 16384;
  }
  return 0.25;
}

/**
 * Filters `channels` (each w*h, in place) with the domain transform's recursive filter guided by `guides` (each
 * w*h; a step between neighbours is the sum of the guides' absolute differences, L1 as in the paper).
 * All channels share the guide's edges, so ratios of them (normalised convolution) stay edge-aware.
 */
export function domainTransformRF(guides: Float32Array[], w: number, h: number, channels: Float64Array[], p: SpreadParams): void {
  const n = w * h;
  const ratio = p.sigmaS / p.sigmaR;
  // the domain transform's derivative between a pixel and its left / upper neighbour; steps up to the photo's
  // typical one (its texture and grain, `tolerance` x the median step) are free, so only real edges stop the spread
  const dx = new Float32Array(n);
  const dy = new Float32Array(n);
  for (const guide of guides) {
    for (let y = 0; y < h; y++) {
      const row = y * w;
      for (let x = 1; x < w; x++) dx[row + x] += Math.abs(guide[row + x] - guide[row + x - 1]);
      if (y > 0) for (let x = 0; x < w; x++) dy[row + x] += Math.abs(guide[row + x] - guide[row - w + x]);
    }
  }
  const tau = p.tolerance > 0 ? p.tolerance * medianStep(dx, dy) : 0;
  for (let i = 0; i < n; i++) {
    dx[i] = 1 + ratio * Math.max(0, dx[i] - tau);
    dy[i] = 1 + ratio * Math.max(0, dy[i] - tau);
  }
  const v = new Float64Array(n);
  const N = p.iterations;
  for (let it = 0; it < N; it++) {
    const sigma = (p.sigmaS * Math.sqrt(3) * 2 ** (N - it - 1)) / Math.sqrt(4 ** N - 1);
    const la = -Math.SQRT2 / sigma; // log of the feedback coefficient a
    // horizontal: feedback weight a^d
    for (let i = 0; i < n; i++) v[i] = Math.exp(la * dx[i]);
    for (const c of channels) {
      for (let y = 0; y < h; y++) {
        const row = y * w;
        for (let x = 1; x < w; x++) c[row + x] += v[row + x] * (c[row + x - 1] - c[row + x]);
        for (let x = w - 2; x >= 0; x--) c[row + x] += v[row + x + 1] * (c[row + x + 1] - c[row + x]);
      }
    }
    for (let i = 0; i < n; i++) v[i] = Math.exp(la * dy[i]);
    for (const c of channels) {
      for (let y = 1; y < h; y++) {
        const row = y * w;
        for (let x = 0; x < w; x++) c[row + x] += v[row + x] * (c[row - w + x] - c[row + x]);
      }
      for (let y = h - 2; y >= 0; y--) {
        const row = y * w;
        for (let x = 0; x < w; x++) c[row + x] += v[row + w + x] * (c[row + w + x] - c[row + x]);
      }
    }
  }
}

/** Box mean of radius r (borders: mean over the part inside), separable, O(n). */
export function boxMean(src: ArrayLike<number>, w: number, h: number, r: number): Float64Array {
  const tmp = new Float64Array(w * h);
  const out = new Float64Array(w * h);
  for (let y = 0; y < h; y++) {
    const row = y * w;
    let acc = 0;
    for (let x = 0; x <= Math.min(r, w - 1); x++) acc += src[row + x];
    for (let x = 0; x < w; x++) {
      const lo = x - r - 1;
      const hi = x + r;
      if (x > 0 && hi < w) acc += src[row + hi];
      if (x > 0 && lo >= 0) acc -= src[row + lo];
      tmp[row + x] = acc / (Math.min(w - 1, hi) - Math.max(0, x - r) + 1);
    }
  }
  for (let x = 0; x < w; x++) {
    let acc = 0;
    for (let y = 0; y <= Math.min(r, h - 1); y++) acc += tmp[y * w + x];
    for (let y = 0; y < h; y++) {
      const lo = y - r - 1;
      const hi = y + r;
      if (y > 0 && hi < h) acc += tmp[hi * w + x];
      if (y > 0 && lo >= 0) acc -= tmp[lo * w + x];
      out[y * w + x] = acc / (Math.min(h - 1, hi) - Math.max(0, y - r) + 1);
    }
  }
  return out;
}

/**
 * The guided filter's coefficients (He, Sun and Tang 2010): per pixel, q ~ A * I + B over a (2r+1)^2 window,
 * averaged. Evaluated at a finer resolution with the fine guide (A and B interpolated) this is the fast guided
 * filter's upsampling: edges come from the fine guide, not from the coarse q.
 */
export function guidedCoefficients(
  I: Float32Array,
  q: Float64Array,
  w: number,
  h: number,
  r: number,
  eps: number,
): { A: Float32Array; B: Float32Array } {
  const n = w * h;
  const Iq = new Float64Array(n);
  const II = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    Iq[i] = I[i] * q[i];
    II[i] = I[i] * I[i];
  }
  const mI = boxMean(I, w, h, r);
  const mq = boxMean(q, w, h, r);
  const mIq = boxMean(Iq, w, h, r);
  const mII = boxMean(II, w, h, r);
  const a = new Float64Array(n);
  const b = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const varI = mII[i] - mI[i] * mI[i];
    a[i] = (mIq[i] - mI[i] * mq[i]) / (varI + eps);
    b[i] = mq[i] - a[i] * mI[i];
  }
  const ma = boxMean(a, w, h, r);
  const mb = boxMean(b, w, h, r);
  return { A: Float32Array.from(ma), B: Float32Array.from(mb) };
}
