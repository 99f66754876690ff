// Oklab (Björn Ottosson, 2020) for the colouriser: sRGB <-> Oklab with lookup tables for the transfer curves, so a
// 12 MP photo converts in a fraction of a second. Lightness L is 0..1; a and b are the chroma axes (about -0.4..0.4).

export function srgbToLinear(v: number): number {
  return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
}

export function linearToSrgb(v: number): number {
  return v <= 0.0031308 ? 12.92 * v : 1.055 * v ** (1 / 2.4) - 0.055;
}

const linTables = new Map<number, Float32Array>();

/** sRGB code value (0..max) -> linear light, for 8-bit (max 255) or 16-bit (max 65535) pixels. */
export function linearTable(max: 255 | 65535): Float32Array {
  let t = linTables.get(max);
  if (!t) {
    t = new Float32Array(max + 1);
    for (let i = 0; i <= max; i++) t[i] = srgbToLinear(i / max);
    linTables.set(max, t);
  }
  return t;
}

const ENC_N = 16384;
let encTable: Float32Array | null = null;

/** linear light 0..1 -> sRGB 0..1 by a 16384-segment table with linear interpolation (error below 1e-5). */
export function encodeTable(): Float32Array {
  if (!encTable) {
    encTable = new Float32Array(ENC_N + 2);
    for (let i = 0; i <= ENC_N; i++) encTable[i] = linearToSrgb(i / ENC_N);
    encTable[ENC_N + 1] = encTable[ENC_N];
  }
  return encTable;
}

const enc8 = new Map<number, Uint8Array>();

/** linear light 0..1 -> 8-bit sRGB by direct lookup in `n` steps (16384: within 0.2 of a level everywhere). */
export function encodeTable8(n = 16384): Uint8Array {
  let t = enc8.get(n);
  if (!t) {
    t = new Uint8Array(n + 1);
    for (let i = 0; i <= n; i++) t[i] = Math.round(linearToSrgb(i / n) * 255);
    enc8.set(n, t);
  }
  return t;
}

export function encodeLinear(table: Float32Array, v: number): number {
  if (v <= 0) return 0;
  if (v >= 1) return 1;
  const x = v * ENC_N;
  const i = x | 0;
  return table[i] + (table[i + 1] - table[i]) * (x - i);
}

/** Linear RGB -> Oklab into out[o..o+2]. */
export function linearToOklab(r: number, g: number, b: number, out: Float64Array, o = 0): void {
  const l = Math.cbrt(0.4122214708 * r + 0.5363325363 * g + 0.0514459929 * b);
  const m = Math.cbrt(0.2119034982 * r + 0.6806995451 * g + 0.1073969566 * b);
  const s = Math.cbrt(0.0883024619 * r + 0.2817188376 * g + 0.6299787005 * b);
  out[o] = 0.2104542553 * l + 0.793617785 * m - 0.0040720468 * s;
  out[o + 1] = 1.9779984951 * l - 2.428592205 * m + 0.4505937099 * s;
  out[o + 2] = 0.0259040371 * l + 0.7827717662 * m - 0.808675766 * s;
}

/** Oklab -> linear RGB into out[0..2] (may be outside 0..1: out of the sRGB gamut). */
export function oklabToLinear(L: number, a: number, b: number, out: Float64Array): void {
  const l_ = L + 0.3963377774 * a + 0.2158037573 * b;
  const m_ = L - 0.1055613458 * a - 0.0638541728 * b;
  const s_ = L - 0.0894841775 * a - 1.291485548 * b;
  const l = l_ * l_ * l_;
  const m = m_ * m_ * m_;
  const s = s_ * s_ * s_;
  out[0] = 4.0767416621 * l - 3.3077115913 * m + 0.2309699292 * s;
  out[1] = -1.2684380046 * l + 2.6097574011 * m - 0.3413193965 * s;
  out[2] = -0.0041960863 * l - 0.7034186147 * m + 1.707614701 * s;
}

const inGamut = (c: Float64Array) => c[0] >= 0 && c[0] <= 1 && c[1] >= 0 && c[1] <= 1 && c[2] >= 0 && c[2] <= 1;

/**
 * Oklab -> linear RGB inside the sRGB gamut, keeping L and the hue: when (a, b) is out of gamut, its chroma is
 * scaled down toward the grey of the same L (always in gamut) by the factor at which the nearest channel would reach
 * its bound, taking each channel as linear in the factor (two steps, the second from the first's result); what is
 * left over (the channels are cubic in it) is clipped, a small fraction of a level. L itself is clamped to 0..1.
 */
export function oklabToLinearInGamut(L: number, a: number, b: number, out: Float64Array): void {
  L = L < 0 ? 0 : L > 1 ? 1 : L;
  oklabToLinear(L, a, b, out);
  if (inGamut(out)) return;
  const grey = L * L * L;
  let t = 1;
  for (let step = 0; step < 2; step++) {
    // channel(s) = grey + (s / t) * (out - grey) for s in [0, t]: the largest s that keeps every channel in 0..1
    let s = t;
    for (let c = 0; c < 3; c++) {
      const d = out[c] - grey;
      if (out[c] > 1) s = Math.min(s, (t * (1 - grey)) / d);
      else if (out[c] < 0) s = Math.min(s, (t * -grey) / d);
    }
    t = Math.max(0, s * 0.999);
    oklabToLinear(L, a * t, b * t, out);
    if (inGamut(out)) return;
  }
  for (let c = 0; c < 3; c++) out[c] = out[c] < 0 ? 0 : out[c] > 1 ? 1 : out[c];
}

/** Oklab of an 8-bit sRGB colour. */
export function srgb8ToOklab(r: number, g: number, b: number): [number, number, number] {
  const t = linearTable(255);
  const o = new Float64Array(3);
  linearToOklab(t[r], t[g], t[b], o);
  return [o[0], o[1], o[2]];
}
