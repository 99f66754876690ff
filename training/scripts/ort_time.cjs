// Times one evaluation of an ONNX model in onnxruntime-node on the CPU: node training/scripts/ort_time.cjs <model> <json feeds spec>
// feeds spec: {"name": [dims...], ...} (float32, filled with a constant; t-like 1-D inputs get 500).
const path = require('node:path');
const ort = require(path.resolve(__dirname, '../../node_modules/onnxruntime-node'));

(async () => {
  const [model, spec, reps = '5'] = process.argv.slice(2);
  const s = await ort.InferenceSession.create(model, { executionProviders: ['cpu'] });
  const feeds = {};
  for (const [name, dims] of Object.entries(JSON.parse(spec))) {
    const n = dims.reduce((a, b) => a * b, 1);
    feeds[name] = new ort.Tensor('float32', new Float32Array(n).fill(dims.length === 1 ? 500 : 0.1), dims);
  }
  await s.run(feeds); // warm-up
  const times = [];
  for (let i = 0; i < Number(reps); i++) {
    const t0 = performance.now();
    await s.run(feeds);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  console.log(JSON.stringify({ median_ms: times[times.length >> 1], min_ms: times[0], reps: times.length }));
})();
