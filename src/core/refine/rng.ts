// Seeded pseudo-random numbers for SDEdit: xoshiro128** (Blackman & Vigna) seeded through splitmix32, and standard
// normal deviates by the Ziggurat method (Marsaglia & Tsang 2000, 128 layers, with an independent draw for the layer
// as Doornik 2005 recommends). Integer arithmetic plus Math.exp/log in the rare edge cases (fdlibm ports in V8), so the
// same seed gives the same sequence, bit for bit, on every run. (Box-Muller was 6x slower here: fresh noise for a
// 512x512 region at every step was a visible part of a refine's time.)

/** Fills `out` with standard normal deviates. The sampler draws all its noise through one of these. */
export type NoiseSource = (out: Float32Array) => void;

function splitmix32(state: number): [number, number] {
  state = (state + 0x9e3779b9) | 0;
  let z = state;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return [state, (z ^ (z >>> 16)) >>> 0];
}

export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  /** Any finite number is a seed; integers up to 2^53 are all distinct seeds. */
  constructor(seed: number) {
    if (!Number.isFinite(seed)) throw new Error(`seed must be a finite number, got ${seed}`);
    const s = Math.trunc(seed);
    const lo = s >>> 0;
    const hi = Math.floor(s / 4294967296) >>> 0;
    let st = lo ^ Math.imul(hi, 0x27d4eb2d);
    const words: number[] = [];
    for (let i = 0; i < 4; i++) {
      let w: number;
      [st, w] = splitmix32(st ^ (i === 2 ? hi : 0));
      words.push(w);
    }
    if ((words[0] | words[1] | words[2] | words[3]) === 0) words[0] = 1; // the all-zero state is a fixed point
    [this.s0, this.s1, this.s2, this.s3] = words;
  }

  /** Next 32-bit unsigned integer. */
  nextU32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  nextFloat(): number {
    const a = this.nextU32() >>> 5;
    const b = this.nextU32() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }

  /** Standard normal deviate by the Ziggurat method. */
  normal(): number {
    for (;;) {
      const iz = this.nextU32() & 127;
      const hz = this.nextU32() | 0; // signed 32-bit
      const x = hz * WN[iz];
      if (Math.abs(hz) < KN[iz]) return x; // inside the layer's rectangle: about 99% of draws
      if (iz === 0) {
        // the tail beyond R (Marsaglia 1964)
        let tx: number;
        let ty: number;
        do {
          tx = -Math.log(1 - this.nextFloat()) / ZIG_R;
          ty = -Math.log(1 - this.nextFloat());
        } while (ty + ty < tx * tx);
        return hz > 0 ? ZIG_R + tx : -ZIG_R - tx;
      }
      if (FN[iz] + this.nextFloat() * (FN[iz - 1] - FN[iz]) < Math.exp(-0.5 * x * x)) return x;
    }
  }

  /** A NoiseSource drawing from this generator (Ziggurat). */
  noise(): NoiseSource {
    return (out) => {
      for (let i = 0; i < out.length; i++) out[i] = this.normal();
    };
  }
}

// Ziggurat tables for the standard normal, 128 layers (Marsaglia & Tsang 2000): KN are the rectangle limits on the
// signed 32-bit draw, WN the scales to x, FN the density at each layer's edge.
const ZIG_R = 3.442619855899;
const KN = new Float64Array(128);
const WN = new Float64Array(128);
const FN = new Float64Array(128);
{
  const m1 = 2147483648;
  const vn = 9.91256303526217e-3;
  let dn = ZIG_R;
  let tn = dn;
  const q = vn / Math.exp(-0.5 * dn * dn);
  KN[0] = (dn / q) * m1;
  KN[1] = 0;
  WN[0] = q / m1;
  WN[127] = dn / m1;
  FN[0] = 1;
  FN[127] = Math.exp(-0.5 * dn * dn);
  for (let i = 126; i >= 1; i--) {
    dn = Math.sqrt(-2 * Math.log(vn / dn + Math.exp(-0.5 * dn * dn)));
    KN[i + 1] = (dn / tn) * m1;
    tn = dn;
    FN[i] = Math.exp(-0.5 * dn * dn);
    WN[i] = dn / m1;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
