// Faithfulness and realism of a refine result, measured inside the painted area.
// - faithful: mean CIE76 colour difference (Delta E, CIELAB) between the result and the paint, per pixel and of the
//   area's mean colour. 0 = the paint itself.
// - realistic: the distribution of local gradient magnitude (luma) inside the area against the one in a ring of
//   untouched photo around it, as a Wasserstein-1 distance; the score is how much of the flat paint's distance
//   was closed: 1 - W1(result, ring) / W1(paint, ring). 0 = as flat as the paint, 1 = the surrounding texture.
import { featherMask, maskReach, type FeatherSpec } from '../../src/core/refine/mask';

function lin(c: number): number {
  const v = c / 255;
  return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
}
const f = (t: number) => (t > 216 / 24389 ? Math.cbrt(t) : (24389 / 27 * t + 16) / 116);

export function lab(r: number, g: number, b: number): [number, number, number] {
  const [R, G, B] = [lin(r), lin(g), lin(b)];
  const X = (0.4124 * R + 0.3576 * G + 0.1805 * B) / 0.95047;
  const Y = 0.2126 * R + 0.7152 * G + 0.0722 * B;
  const Z = (0.0193 * R + 0.1192 * G + 0.9505 * B) / 1.08883;
  const [fx, fy, fz] = [f(X), f(Y), f(Z)];
  return [116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)];
}

const dE = (a: number[], b: number[]) => Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);

function gradients(rgb: Uint8Array, w: number, h: number, idx: number[]): number[] {
  const Y = (p: number) => 0.299 * rgb[3 * p] + 0.587 * rgb[3 * p + 1] + 0.114 * rgb[3 * p + 2];
  return idx.map((p) => {
    const x = p % w;
    const y = (p - x) / w;
    const gx = (Y(y * w + Math.min(w - 1, x + 1)) - Y(y * w + Math.max(0, x - 1))) / 2;
    const gy = (Y(Math.min(h - 1, y + 1) * w + x) - Y(Math.max(0, y - 1) * w + x)) / 2;
    return Math.hypot(gx, gy);
  });
}

/** Wasserstein-1 distance between two 1-D samples (through 512 quantiles). */
export function w1(a: number[], b: number[]): number {
  const sa = [...a].sort((x, y) => x - y);
  const sb = [...b].sort((x, y) => x - y);
  const q = (s: number[], p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  let d = 0;
  for (let i = 0; i < 512; i++) d += Math.abs(q(sa, (i + 0.5) / 512) - q(sb, (i + 0.5) / 512));
  return d / 512;
}

export interface Areas {
  inner: number[]; // fully painted pixels whose 4-neighbours are fully painted too (texture is measured here)
  painted: number[]; // fully painted pixels (colour is measured here)
  ring: number[]; // untouched pixels (mask 0) within `ringWidth` of the mask
}

export function areas(strokes: Uint8Array, w: number, h: number, spec: FeatherSpec, ringWidth = 24): Areas {
  const full = (p: number) => strokes[4 * p + 3] === 255;
  const bin = Uint8Array.from({ length: w * h }, (_, p) => (strokes[4 * p + 3] > 0 ? 1 : 0));
  const mask = featherMask(bin, w, h, spec);
  const near = featherMask(bin, w, h, { grow: maskReach(spec) + ringWidth, feather: 0 });
  const out: Areas = { inner: [], painted: [], ring: [] };
  for (let p = 0; p < w * h; p++) {
    const x = p % w;
    const y = (p - x) / w;
    if (full(p)) {
      out.painted.push(p);
      if (x > 0 && y > 0 && x < w - 1 && y < h - 1 && full(p - 1) && full(p + 1) && full(p - w) && full(p + w)) out.inner.push(p);
    } else if (mask[p] === 0 && near[p] > 0) out.ring.push(p);
  }
  return out;
}

export interface Scores {
  deltaE: number; // mean per-pixel Delta E to the paint
  deltaEMean: number; // Delta E between the area's mean colour and the paint
  gradMean: number; // mean gradient magnitude inside (8-bit luma levels per pixel)
  w1: number; // W1 of gradient magnitudes inside vs the ring
  realism: number; // 1 - w1 / w1(paint)
}

export function score(img: Uint8Array, paint: Uint8Array, w: number, h: number, a: Areas, colour: number[]): Scores {
  const cl = lab(colour[0], colour[1], colour[2]);
  let sum = 0;
  const m = [0, 0, 0];
  for (const p of a.painted) {
    sum += dE(lab(img[3 * p], img[3 * p + 1], img[3 * p + 2]), cl);
    for (let c = 0; c < 3; c++) m[c] += img[3 * p + c];
  }
  const ring = gradients(img, w, h, a.ring);
  const inside = gradients(img, w, h, a.inner);
  const flat = gradients(paint, w, h, a.inner);
  const d = w1(inside, ring);
  const d0 = w1(flat, ring);
  return {
    deltaE: sum / a.painted.length,
    deltaEMean: dE(lab(m[0] / a.painted.length, m[1] / a.painted.length, m[2] / a.painted.length), cl),
    gradMean: inside.reduce((s, v) => s + v, 0) / inside.length,
    w1: d,
    realism: d0 > 0 ? 1 - d / d0 : 0,
  };
}

/** Mean gradient magnitude of the untouched ring around the mask (the texture the result should have). */
export function ringGradient(img: Uint8Array, w: number, h: number, a: Areas): number {
  const g = gradients(img, w, h, a.ring);
  return g.reduce((s, v) => s + v, 0) / g.length;
}
