import { describe, expect, it } from 'vitest';
import { fillHoles } from '../../src/core/refine/fill';

describe('fillHoles (push-pull from the surroundings)', () => {
  it('fills a hole in a two-colour image from each side and keeps known pixels exactly', () => {
    const w = 40, h = 20, n = w * h;
    const planes = new Float32Array(3 * n);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let c = 0; c < 3; c++) planes[c * n + y * w + x] = x < 20 ? -0.8 : 0.6;
    const before = planes.slice();
    const hole = new Uint8Array(n);
    // a dark blotch: the hole's own values are garbage that must not survive
    for (let y = 6; y < 14; y++) for (let x = 4; x < 12; x++) { hole[y * w + x] = 1; for (let c = 0; c < 3; c++) planes[c * n + y * w + x] = 5; }
    for (let y = 6; y < 14; y++) for (let x = 28; x < 36; x++) { hole[y * w + x] = 1; for (let c = 0; c < 3; c++) planes[c * n + y * w + x] = -5; }
    fillHoles(planes, w, h, hole);
    for (let i = 0; i < n; i++) if (!hole[i]) for (let c = 0; c < 3; c++) expect(planes[c * n + i]).toBe(before[c * n + i]);
    for (let c = 0; c < 3; c++) {
      expect(planes[c * n + 10 * w + 8]).toBeCloseTo(-0.8, 1);
      expect(planes[c * n + 10 * w + 32]).toBeCloseTo(0.6, 1);
    }
  });

  it('a smooth ramp continues smoothly into the hole', () => {
    const w = 32, h = 32, n = w * h;
    const planes = new Float32Array(n);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) planes[y * w + x] = x / 31;
    const hole = new Uint8Array(n);
    for (let y = 12; y < 20; y++) for (let x = 12; x < 20; x++) { hole[y * w + x] = 1; planes[y * w + x] = 0; }
    fillHoles(planes, w, h, hole);
    for (let y = 12; y < 20; y++) for (let x = 12; x < 20; x++) expect(Math.abs(planes[y * w + x] - x / 31)).toBeLessThan(0.08);
  });

  it('leaves the image alone with no hole or with nothing known', () => {
    const p = Float32Array.from([1, 2, 3, 4]);
    fillHoles(p, 2, 2, new Uint8Array(4));
    expect(Array.from(p)).toEqual([1, 2, 3, 4]);
    fillHoles(p, 2, 2, Uint8Array.from([1, 1, 1, 1]));
    expect(Array.from(p)).toEqual([1, 2, 3, 4]);
  });
});
