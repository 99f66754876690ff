// Activation ranges for int8 quantisation (bench/restore/qdq_onnx.py --ranges): runs a calibration model (every
// Conv input and output made a graph output) over the given inputs and writes, per tensor, its min/max and its
// 0.01 % / 99.99 % quantiles (from a strided sample of each output).
// usage: node bench/restore/calibrate.cjs <spec.json> <out.json>; spec = { model, items: [{ input, shape }] }
const fs = require('node:fs');
const path = require('node:path');
const ort = require(path.resolve(__dirname, '../../node_modules/onnxruntime-node'));

(async () => {
  const spec = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
  const session = await ort.InferenceSession.create(spec.model, { executionProviders: ['cpu'] });
  const stats = {};
  for (const it of spec.items) {
    const buf = fs.readFileSync(it.input);
    const data = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
    const out = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', data, it.shape) });
    for (const name of session.outputNames) {
      const v = out[name].data;
      const s = (stats[name] ??= { min: Infinity, max: -Infinity, sample: [] });
      const step = Math.max(1, Math.floor(v.length / 20000));
      for (let i = 0; i < v.length; i++) {
        const x = v[i];
        if (x < s.min) s.min = x;
        if (x > s.max) s.max = x;
        if (i % step === 0) s.sample.push(x);
      }
    }
  }
  const res = {};
  for (const [name, s] of Object.entries(stats)) {
    const q = Float32Array.from(s.sample).sort();
    const at = (p) => q[Math.min(q.length - 1, Math.max(0, Math.round(p * (q.length - 1))))];
    res[name] = { min: s.min, max: s.max, q0001: at(0.0001), q9999: at(0.9999) };
  }
  fs.writeFileSync(process.argv[3], JSON.stringify(res));
  console.log(JSON.stringify({ tensors: Object.keys(res).length, items: spec.items.length }));
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
