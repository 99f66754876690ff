// The diffusion network behind an onnxruntime session, counting what it runs (calls, pixels, time) for the progress
// report, the benchmark and the tests that check the cost follows the painted area.
import * as ort from 'onnxruntime-node';
import type { DiffusionModel } from '../../shared/types';
import type { EpsModel } from './tiles';

export interface EpsCounters {
  calls: number;
  pixels: number;
  ms: number;
}

export class OrtEpsModel implements EpsModel {
  readonly stride: number;
  readonly counters: EpsCounters = { calls: 0, pixels: 0, ms: 0 };
  private readonly xName: string;
  private readonly tName: string;
  private readonly outName: string;

  constructor(
    private readonly session: ort.InferenceSession,
    entry: Pick<DiffusionModel, 'inputs' | 'outputs' | 'size_multiple'>,
  ) {
    this.stride = entry.size_multiple;
    [this.xName, this.tName] = entry.inputs;
    this.outName = entry.outputs[0];
    if (!this.xName || !this.tName || !this.outName) throw new Error('diffusion model needs inputs [x_t, t] and one output');
  }

  async run(x: Float32Array, h: number, w: number, t: number): Promise<Float32Array> {
    if (h % this.stride || w % this.stride) throw new Error(`diffusion input ${w}x${h} is not a multiple of ${this.stride}`);
    const started = performance.now();
    const out = await this.session.run({
      [this.xName]: new ort.Tensor('float32', x, [1, 3, h, w]),
      [this.tName]: new ort.Tensor('float32', Float32Array.of(t), [1]),
    });
    const eps = out[this.outName];
    this.counters.ms += performance.now() - started;
    this.counters.calls += 1;
    this.counters.pixels += h * w;
    const data = eps.data as Float32Array;
    return data;
  }
}
