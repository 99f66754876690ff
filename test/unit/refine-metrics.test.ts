// The refine evidence's measures (bench/refine/metrics.ts): colour distance in CIELAB, the gradient-statistics
// distance, and the realism score's two ends (flat paint = 0, the surroundings' own texture = about 1).
import { describe, expect, it } from 'vitest';
import { areas, lab, score, w1 } from '../../bench/refine/metrics';
import { Rng } from '../../src/core/refine/rng';
import { discStrokes } from './refine-helpers';

describe('refine metrics', () => {
  it('CIELAB of reference colours', () => {
    const white = lab(255, 255, 255);
    expect(white[0]).toBeCloseTo(100, 1);
    expect(Math.abs(white[1]) + Math.abs(white[2])).toBeLessThan(0.05);
    expect(lab(0, 0, 0)).toEqual([0, 0, 0]);
    const red = lab(255, 0, 0); // sRGB red: L 53.2, a 80.1, b 67.2
    expect(red[0]).toBeCloseTo(53.24, 0);
    expect(red[1]).toBeCloseTo(80.09, 0);
    expect(red[2]).toBeCloseTo(67.2, 0);
  });

  it('W1 of a shifted sample is the shift', () => {
    const a = Array.from({ length: 1000 }, (_, i) => Math.sin(i) * 5);
    expect(w1(a, a)).toBe(0);
    expect(w1(a, a.map((v) => v + 3))).toBeCloseTo(3, 6);
  });

  it('flat paint scores realism 0 and ΔE 0; a texture like the ring scores about 1', () => {
    const W = 96;
    const H = 96;
    const rng = new Rng(4);
    const tex = Uint8Array.from({ length: W * H * 3 }, () => 100 + Math.floor(rng.nextFloat() * 40));
    const strokes = discStrokes(W, H, 48, 48, 16, [120, 120, 120]);
    const paint = tex.slice();
    for (let p = 0; p < W * H; p++) if (strokes[4 * p + 3]) paint.set([120, 120, 120], 3 * p);
    const A = areas(strokes, W, H, { grow: 4, feather: 12 });
    expect(A.inner.length).toBeGreaterThan(500);
    expect(A.ring.length).toBeGreaterThan(500);
    const flat = score(paint, paint, W, H, A, [120, 120, 120]);
    expect(flat.deltaE).toBe(0);
    expect(flat.realism).toBe(0);
    // the photo's own noise texture inside (as around), centred on the paint colour
    const s = score(tex, paint, W, H, A, [120, 120, 120]);
    expect(s.realism).toBeGreaterThan(0.9);
    expect(s.deltaEMean).toBeLessThan(2); // the mean colour stayed the paint's (100..140 around 120)
    expect(s.deltaE).toBeGreaterThan(flat.deltaE);
  });
});
