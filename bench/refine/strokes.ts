// Synthetic but plausible strokes for the refine evidence: a person filling an area with a round brush in
// overlapping zig-zag passes, in a colour picked from elsewhere in the same photo (sky over a plane, water over a
// boat, grass over flowers). Seeded: the same spec always gives the same strokes.
import { Rng } from '../../src/core/refine/rng';

export interface StrokeSpec {
  /** Area to fill, as fractions of the photo [x0, y0, x1, y1]. */
  area: [number, number, number, number];
  /** Where to pick the paint colour (fractions): the median of a small window there. */
  pick: [number, number];
  /** Brush radius as a fraction of the photo's shorter side. */
  brush: number;
  seed: number;
}

export function pickColour(rgb: Uint8Array, w: number, h: number, fx: number, fy: number, win = 7): [number, number, number] {
  const cx = Math.round(fx * (w - 1));
  const cy = Math.round(fy * (h - 1));
  const out: number[] = [];
  for (let c = 0; c < 3; c++) {
    const v: number[] = [];
    for (let y = Math.max(0, cy - win); y <= Math.min(h - 1, cy + win); y++) {
      for (let x = Math.max(0, cx - win); x <= Math.min(w - 1, cx + win); x++) v.push(rgb[3 * (y * w + x) + c]);
    }
    v.sort((a, b) => a - b);
    out.push(v[v.length >> 1]);
  }
  return out as [number, number, number];
}

/** RGBA strokes (w*h*4), opaque paint with a one-pixel anti-aliased rim. */
export function makeStrokes(rgb: Uint8Array, w: number, h: number, spec: StrokeSpec): { strokes: Uint8Array; colour: [number, number, number] } {
  const rng = new Rng(spec.seed);
  const colour = pickColour(rgb, w, h, spec.pick[0], spec.pick[1]);
  const r = Math.max(3, spec.brush * Math.min(w, h));
  const [x0, y0, x1, y1] = [spec.area[0] * w, spec.area[1] * h, spec.area[2] * w, spec.area[3] * h];
  // the brush path: zig-zag passes down the area, each end point jittered
  const pts: [number, number][] = [];
  const passes = Math.max(2, Math.ceil((y1 - y0) / (1.2 * r)));
  for (let i = 0; i <= passes; i++) {
    const y = y0 + ((y1 - y0) * i) / passes;
    const jit = () => (rng.nextFloat() - 0.5) * 0.6 * r;
    const left: [number, number] = [x0 + jit(), y + jit()];
    const right: [number, number] = [x1 + jit(), y + jit()];
    pts.push(...(i % 2 ? [right, left] : [left, right]));
  }
  const cover = new Float32Array(w * h);
  for (let k = 1; k < pts.length; k++) {
    const [ax, ay] = pts[k - 1];
    const [bx, by] = pts[k];
    const len = Math.hypot(bx - ax, by - ay);
    const bx0 = Math.max(0, Math.floor(Math.min(ax, bx) - r - 1));
    const bx1 = Math.min(w - 1, Math.ceil(Math.max(ax, bx) + r + 1));
    const by0 = Math.max(0, Math.floor(Math.min(ay, by) - r - 1));
    const by1 = Math.min(h - 1, Math.ceil(Math.max(ay, by) + r + 1));
    for (let y = by0; y <= by1; y++) {
      for (let x = bx0; x <= bx1; x++) {
        const t = len > 0 ? Math.max(0, Math.min(1, ((x - ax) * (bx - ax) + (y - ay) * (by - ay)) / (len * len))) : 0;
        const d = Math.hypot(x - (ax + t * (bx - ax)), y - (ay + t * (by - ay)));
        const a = Math.max(0, Math.min(1, r - d + 0.5));
        if (a > cover[y * w + x]) cover[y * w + x] = a;
      }
    }
  }
  const strokes = new Uint8Array(w * h * 4);
  for (let i = 0; i < w * h; i++) {
    if (cover[i] <= 0) continue;
    strokes.set([colour[0], colour[1], colour[2], Math.round(cover[i] * 255)], 4 * i);
  }
  return { strokes, colour };
}
