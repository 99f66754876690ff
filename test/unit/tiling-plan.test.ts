import { describe, expect, it } from 'vitest';
import { axisWeights, padPlanar, planAxis, planTiles, reflectIndex, tilesOf } from '../../src/core/restore/tiling';

// a small deterministic generator so the property checks cover many shapes without being random from run to run
function* cases(): Generator<[number, number, number, number]> {
  let s = 12345;
  const r = (n: number) => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s % n;
  };
  for (let i = 0; i < 300; i++) {
    const mult = [1, 2, 4, 8, 16][r(5)];
    const overlap = r(64);
    const tile = 8 + r(300);
    const length = 1 + r(2000);
    yield [length, tile, overlap, mult];
  }
}

describe('planAxis', () => {
  it('covers the axis with windows that start on the size multiple and overlap by the same amount', () => {
    for (const [L, T, O, M] of cases()) {
      const p = planAxis(L, T, O, M);
      expect(p.tile % M).toBe(0);
      expect(p.overlap % M).toBe(0);
      expect(p.tile).toBeGreaterThan(p.overlap);
      expect(p.tile).toBeGreaterThanOrEqual(2 * p.overlap);
      expect(p.spans[0].start).toBe(0);
      expect(p.spans[p.spans.length - 1].end).toBe(L);
      for (const [i, s] of p.spans.entries()) {
        expect(s.start % M).toBe(0);
        expect(s.end - s.start).toBeLessThanOrEqual(p.tile);
        expect(s.padded % M).toBe(0);
        expect(s.padded - (s.end - s.start)).toBeLessThan(M);
        if (i > 0) expect(p.spans[i - 1].end - s.start).toBe(p.overlap);
      }
    }
  });

  it('uses one window when the axis fits in a tile', () => {
    expect(planAxis(481, 512, 32, 16).spans).toEqual([{ start: 0, end: 481, padded: 496 }]);
    expect(planAxis(3, 128, 16, 8).spans).toEqual([{ start: 0, end: 3, padded: 8 }]);
  });

  it('gives the expected windows for a CBSD68 width', () => {
    const p = planAxis(481, 128, 16, 8);
    expect(p.spans.map((s) => [s.start, s.end])).toEqual([
      [0, 128],
      [112, 240],
      [224, 352],
      [336, 464],
      [448, 481],
    ]);
  });
});

describe('axisWeights', () => {
  it('sum to one at every pixel, for every plan', () => {
    for (const [L, T, O, M] of cases()) {
      const p = planAxis(L, T, O, M);
      const sum = new Float64Array(L);
      let lo = 1;
      let hi = 0;
      p.spans.forEach((s, i) => {
        const w = axisWeights(p, i);
        expect(w.length).toBe(s.end - s.start);
        for (let k = 0; k < w.length; k++) {
          lo = Math.min(lo, w[k]);
          hi = Math.max(hi, w[k]);
          sum[s.start + k] += w[k];
        }
      });
      let err = 0;
      for (let x = 0; x < L; x++) err = Math.max(err, Math.abs(sum[x] - 1));
      expect(err, `L=${L} tile=${T} overlap=${O} multiple=${M}`).toBeLessThan(1e-6);
      expect(lo).toBeGreaterThanOrEqual(0);
      expect(hi).toBeLessThanOrEqual(1);
    }
  });

  it('ignore the quarter of each overlap next to a window\'s inner edge and fade linearly in between', () => {
    const p = planAxis(300, 128, 32, 8); // windows [0,128) [96,224) [192,300)
    const w0 = axisWeights(p, 0);
    const w1 = axisWeights(p, 1);
    // overlap [96,128): margin 8, ramp 16
    for (let x = 0; x < 104; x++) expect(w0[x]).toBe(1);
    for (let x = 120; x < 128; x++) expect(w0[x]).toBe(0);
    for (let k = 0; k < 8; k++) expect(w1[k]).toBe(0); // first 8 px of window 1
    const ramp = Array.from(w0.subarray(104, 120));
    for (let i = 1; i < ramp.length; i++) expect(ramp[i]).toBeLessThan(ramp[i - 1]);
    expect(ramp[0] + ramp[15]).toBeCloseTo(1, 6);
  });
});

describe('planTiles', () => {
  it('enumerates row-major tiles whose 2-D weights sum to one', () => {
    const plan = planTiles(130, 70, 48, 16, 4);
    const sum = new Float64Array(130 * 70);
    let n = 0;
    for (const t of tilesOf(plan)) {
      n++;
      const wx = axisWeights(plan.cols, t.col);
      const wy = axisWeights(plan.rows, t.row);
      for (let y = 0; y < t.h; y++) for (let x = 0; x < t.w; x++) sum[(t.y + y) * 130 + t.x + x] += wx[x] * wy[y];
      expect(t.padW % 4).toBe(0);
      expect(t.padH % 4).toBe(0);
    }
    expect(n).toBe(plan.count);
    for (const v of sum) expect(Math.abs(v - 1)).toBeLessThan(1e-6);
  });
});

describe('reflect padding', () => {
  it('mirrors like numpy reflect, for any offset', () => {
    expect([-3, -2, -1, 0, 4, 5, 6, 7, 8, 9].map((i) => reflectIndex(i, 5))).toEqual([3, 2, 1, 0, 4, 3, 2, 1, 0, 1]);
    expect(reflectIndex(7, 1)).toBe(0);
    expect(reflectIndex(2, 2)).toBe(0);
  });

  it('pads right and bottom by reflection and maps to the model\'s value range', () => {
    // 3 channels of a 3x2 block, values c*10 + y*3 + x
    const w = 3;
    const h = 2;
    const src = new Float32Array(3 * w * h).map((_, i) => {
      const c = Math.floor(i / (w * h));
      const r = i % (w * h);
      return (c * 10 + r) / 100;
    });
    const out = padPlanar(src, w, h, 4, 4);
    const at = (c: number, y: number, x: number) => Math.round(out[c * 16 + y * 4 + x] * 100);
    expect([0, 1, 2, 3].map((x) => at(1, 0, x))).toEqual([10, 11, 12, 11]);
    expect([0, 1, 2, 3].map((y) => at(2, y, 0))).toEqual([20, 23, 20, 23]);
    const mapped = padPlanar(src, w, h, 4, 4, [-1, 1]);
    expect(mapped[0]).toBeCloseTo(-1, 6);
    expect(mapped[16 + 1]).toBeCloseTo(-1 + 2 * 0.11, 6);
  });
});
