// Fill from the surroundings: pixels marked as holes get a smooth continuation of the pixels around them (push-pull
// over an image pyramid, Gortler et al. 1996: known pixels are averaged down level by level, then each level's holes
// take the level below's values, interpolated). Used as the starting point of a masked refine with no paint, so a
// masked blotch is re-imagined from what surrounds it instead of from the blotch itself.

/**
 * Fills `planes` ([C, H, W] float, planar) in place where `hole` [H*W] is non-zero. Known pixels are kept exactly.
 * With no known pixel at all nothing changes.
 */
export function fillHoles(planes: Float32Array, w: number, h: number, hole: Uint8Array): void {
  const n = w * h;
  const C = planes.length / n;
  const weight = new Float32Array(n);
  for (let i = 0; i < n; i++) weight[i] = hole[i] ? 0 : 1;
  if (!weight.some((v) => v > 0) || !hole.some((v) => v)) return;
  const filled = pushPull(planes, weight, w, h, C);
  for (let i = 0; i < n; i++) if (hole[i]) for (let c = 0; c < C; c++) planes[c * n + i] = filled[c * n + i];
}

/** Weighted values (premultiplied by weight) down the pyramid, then holes filled coming back up. */
function pushPull(v: Float32Array, wt: Float32Array, w: number, h: number, C: number): Float32Array {
  const n = w * h;
  if (w <= 1 && h <= 1) {
    const out = new Float32Array(C);
    for (let c = 0; c < C; c++) out[c] = wt[0] > 0 ? v[c] : 0;
    return out;
  }
  // push: 2x2 weighted means
  const w2 = Math.max(1, (w + 1) >> 1);
  const h2 = Math.max(1, (h + 1) >> 1);
  const n2 = w2 * h2;
  const cv = new Float32Array(C * n2);
  const cw = new Float32Array(n2);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      const q = wt[i];
      if (q === 0) continue;
      const j = (y >> 1) * w2 + (x >> 1);
      cw[j] += q;
      for (let c = 0; c < C; c++) cv[c * n2 + j] += q * v[c * n + i];
    }
  }
  for (let j = 0; j < n2; j++) {
    if (cw[j] > 0) for (let c = 0; c < C; c++) cv[c * n2 + j] /= cw[j];
    cw[j] = Math.min(1, cw[j]);
  }
  const coarse = pushPull(cv, cw, w2, h2, C);
  // pull: blend each pixel's own value with the bilinearly upsampled coarse value by its weight
  const out = new Float32Array(C * n);
  for (let y = 0; y < h; y++) {
    const fy = Math.min(h2 - 1, Math.max(0, (y - 0.5) / 2));
    const y0 = Math.floor(fy);
    const y1 = Math.min(h2 - 1, y0 + 1);
    const ty = fy - y0;
    for (let x = 0; x < w; x++) {
      const fx = Math.min(w2 - 1, Math.max(0, (x - 0.5) / 2));
      const x0 = Math.floor(fx);
      const x1 = Math.min(w2 - 1, x0 + 1);
      const tx = fx - x0;
      const i = y * w + x;
      const q = Math.min(1, wt[i]);
      for (let c = 0; c < C; c++) {
        const b = c * n2;
        const up =
          (coarse[b + y0 * w2 + x0] * (1 - tx) + coarse[b + y0 * w2 + x1] * tx) * (1 - ty) +
          (coarse[b + y1 * w2 + x0] * (1 - tx) + coarse[b + y1 * w2 + x1] * tx) * ty;
        out[c * n + i] = q * v[c * n + i] + (1 - q) * up;
      }
    }
  }
  return out;
}
