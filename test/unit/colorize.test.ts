// The colouriser (src/core/colorize): strokes of two colours on a two-region photo give those hues in each region and
// stop at the edge; no strokes leave the photo untouched; lightness is kept; 16-bit and alpha are carried.
import { describe, expect, it } from 'vitest';
import { colorizeImage, ColorizeError } from '../../src/core/colorize';
import { linearTable, linearToOklab } from '../../src/core/colorize/oklab';

const W = 1400; // larger than the working resolution (640), so the spread runs reduced and is upsampled
const H = 1000;
const CX = 760;
const CY = 480;
const R = 300;
const inside = (x: number, y: number) => (x - CX) ** 2 + (y - CY) ** 2 < R * R;

/** A repeatable pseudo-random integer per pixel. */
const hash = (x: number, y: number) => {
  let k = Math.imul(x, 374761393) ^ Math.imul(y, 668265263);
  k = Math.imul(k ^ (k >>> 13), 1274126177);
  return (k ^ (k >>> 16)) >>> 0;
};

/** A grey photo: a light disc on a dark ground, both with a little texture. */
function twoRegions(max: 255 | 65535 = 255) {
  const rgb = max === 255 ? new Uint8Array(W * H * 3) : new Uint16Array(W * H * 3);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const tex = (hash(x, y) % 9) - 4; // film-grain-like noise, +-4 levels
      const v8 = (inside(x, y) ? 200 : 70) + tex;
      const v = max === 255 ? v8 : v8 * 257 + ((x + y) % 200);
      rgb.fill(v, 3 * (y * W + x), 3 * (y * W + x) + 3);
    }
  }
  return rgb;
}

const RED = [190, 50, 40];
const BLUE = [40, 90, 200];

/** Two dabs: red on the dark ground (left), blue on the disc. */
function twoStrokes(): Uint8Array {
  const s = new Uint8Array(W * H * 4);
  const dab = (x0: number, y0: number, c: number[]) => {
    for (let y = y0 - 15; y < y0 + 15; y++) {
      for (let x = x0 - 15; x < x0 + 15; x++) {
        const i = 4 * (y * W + x);
        s.set([c[0], c[1], c[2], 255], i);
      }
    }
  };
  dab(150, 500, RED);
  dab(760, 480, BLUE);
  return s;
}

function oklabOf(rgb: Uint8Array | Uint16Array, i: number, max: 255 | 65535) {
  const t = linearTable(max);
  const o = new Float64Array(3);
  linearToOklab(t[rgb[3 * i]], t[rgb[3 * i + 1]], t[rgb[3 * i + 2]], o);
  return o;
}

const hue = (o: Float64Array) => Math.atan2(o[2], o[1]);
const hueOf = (c: number[]) => {
  const o = oklabOf(Uint8Array.from(c), 0, 255);
  return hue(o);
};
const hueDiff = (a: number, b: number) => Math.abs(Math.atan2(Math.sin(a - b), Math.cos(a - b)));

function lightnessPsnr(a: Uint8Array | Uint16Array, b: Uint8Array | Uint16Array, max: 255 | 65535): number {
  let se = 0;
  const n = a.length / 3;
  for (let i = 0; i < n; i++) se += (oklabOf(a, i, max)[0] - oklabOf(b, i, max)[0]) ** 2;
  return 10 * Math.log10(1 / (se / n));
}

/** Share of pixels in a region whose hue is within 0.35 rad of `want` and whose chroma is visible. */
function hueShare(rgb: Uint8Array | Uint16Array, max: 255 | 65535, want: number, pick: (x: number, y: number) => boolean) {
  let hit = 0;
  let all = 0;
  for (let y = 0; y < H; y += 3) {
    for (let x = 0; x < W; x += 3) {
      if (!pick(x, y)) continue;
      const o = oklabOf(rgb, y * W + x, max);
      all++;
      if (Math.hypot(o[1], o[2]) > 0.02 && hueDiff(hue(o), want) < 0.35) hit++;
    }
  }
  return hit / all;
}

/** Distance (in pixels) of (x, y) from the disc's edge. */
const fromEdge = (x: number, y: number) => Math.abs(Math.hypot(x - CX, y - CY) - R);

describe('colorizeImage', () => {
  it('gives each region the hue painted in it and keeps the edge between them', () => {
    const rgb = twoRegions();
    const { image, stats } = colorizeImage({ width: W, height: H, bitDepth: 8, rgb, meta: { isGrey: true } }, twoStrokes());
    expect(stats.work.factor).toBeGreaterThan(1);
    const red = hueOf(RED);
    const blue = hueOf(BLUE);
    // whole regions, and the 6-pixel bands right at the edge on either side
    expect(hueShare(image.rgb, 255, red, (x, y) => !inside(x, y))).toBeGreaterThan(0.97);
    expect(hueShare(image.rgb, 255, blue, (x, y) => inside(x, y))).toBeGreaterThan(0.97);
    expect(hueShare(image.rgb, 255, red, (x, y) => !inside(x, y) && fromEdge(x, y) < 6)).toBeGreaterThan(0.9);
    expect(hueShare(image.rgb, 255, blue, (x, y) => inside(x, y) && fromEdge(x, y) < 6)).toBeGreaterThan(0.9);
    expect(lightnessPsnr(image.rgb, rgb, 255)).toBeGreaterThan(40);
    expect((image.meta as { isGrey: boolean }).isGrey).toBe(false);
    expect(rgb[0]).toBe(rgb[1]); // the input was not touched
  });

  it('leaves the photo exactly as it was without strokes', () => {
    const rgb = twoRegions();
    const { image, stats } = colorizeImage({ width: W, height: H, bitDepth: 8, rgb }, new Uint8Array(W * H * 4));
    expect(stats.changed).toBe(0);
    expect(Buffer.compare(Buffer.from(image.rgb), Buffer.from(rgb))).toBe(0);
  });

  it('leaves a region that a strong edge closes off, and that has no stroke of its own, exactly as it was', () => {
    const rgb = twoRegions();
    const s = twoStrokes();
    for (let i = 0; i < W * H; i++) if (inside(i % W, (i / W) | 0)) s[4 * i + 3] = 0; // only the red dab, on the ground
    const { image } = colorizeImage({ width: W, height: H, bitDepth: 8, rgb }, s);
    expect(hueShare(image.rgb, 255, hueOf(RED), (x, y) => !inside(x, y))).toBeGreaterThan(0.97);
    let same = 0;
    let all = 0;
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        if (!inside(x, y) || fromEdge(x, y) < 4) continue;
        const i = 3 * (y * W + x);
        all++;
        if (image.rgb[i] === rgb[i] && image.rgb[i + 1] === rgb[i + 1] && image.rgb[i + 2] === rgb[i + 2]) same++;
      }
    }
    expect(same / all).toBeGreaterThan(0.99);
  });

  it('recolours a colour photo where painted and keeps the colours elsewhere', () => {
    // a green disc on an orange ground; a blue stroke on the disc
    const rgb = new Uint8Array(W * H * 3);
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) rgb.set(inside(x, y) ? [70, 150, 60] : [200, 120, 50], 3 * (y * W + x));
    }
    const s = twoStrokes();
    for (let i = 0; i < W * H; i++) if (!inside(i % W, (i / W) | 0)) s[4 * i + 3] = 0; // only the blue dab
    const { image } = colorizeImage({ width: W, height: H, bitDepth: 8, rgb }, s);
    expect(hueShare(image.rgb, 255, hueOf(BLUE), (x, y) => inside(x, y) && fromEdge(x, y) > 4)).toBeGreaterThan(0.95);
    // the ground keeps its orange beyond 24 pixels from the disc (an edge of chroma alone, with nearly the same
    // lightness on both sides, is found at the working resolution only: the upsampling follows lightness)
    let worst = 0;
    let sum = 0;
    let all = 0;
    for (let y = 0; y < H; y += 2) {
      for (let x = 0; x < W; x += 2) {
        if (inside(x, y) || fromEdge(x, y) < 24) continue;
        for (let c = 0; c < 3; c++) {
          const d = Math.abs(image.rgb[3 * (y * W + x) + c] - rgb[3 * (y * W + x) + c]);
          worst = Math.max(worst, d);
          sum += d;
          all++;
        }
      }
    }
    expect(worst).toBeLessThanOrEqual(3);
    expect(sum / all).toBeLessThan(1);
    expect(lightnessPsnr(image.rgb, rgb, 255)).toBeGreaterThan(40);
  });

  it('keeps 16-bit depth and the alpha channel', () => {
    const rgb = twoRegions(65535);
    const alpha = new Uint16Array(W * H).map((_, i) => (i % 7) * 9000);
    const { image } = colorizeImage({ width: W, height: H, bitDepth: 16, rgb, alpha }, twoStrokes());
    expect(image.rgb).toBeInstanceOf(Uint16Array);
    expect(image.bitDepth).toBe(16);
    expect(image.alpha).toBe(alpha);
    expect(hueShare(image.rgb, 65535, hueOf(RED), (x, y) => !inside(x, y))).toBeGreaterThan(0.97);
    expect(hueShare(image.rgb, 65535, hueOf(BLUE), (x, y) => inside(x, y))).toBeGreaterThan(0.97);
    expect(lightnessPsnr(image.rgb, rgb, 65535)).toBeGreaterThan(50); // 16-bit: finer steps than 8-bit
  });

  it('refuses strokes of another size', () => {
    expect(() => colorizeImage({ width: 10, height: 10, bitDepth: 8, rgb: new Uint8Array(300) }, new Uint8Array(4 * 99))).toThrow(
      ColorizeError,
    );
  });
});
