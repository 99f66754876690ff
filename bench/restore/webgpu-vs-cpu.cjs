// One restore model on WebGPU and on the CPU provider in one process, alternately: median ms per run of a side x side
// input, and the largest difference between the two outputs. On a machine without a GPU, WebGPU runs on whatever
// adapter Dawn finds (here lavapipe, Mesa's software Vulkan).
//   node bench/restore/webgpu-vs-cpu.cjs models/restore-naf32-v2.onnx [side] [rounds]
const path = require('node:path');
const ort = require(path.resolve(__dirname, '../../node_modules/onnxruntime-node'));

(async () => {
  const [file, sideArg, roundsArg] = process.argv.slice(2);
  const side = Number(sideArg || 128);
  const rounds = Number(roundsArg || 5);
  const x = new Float32Array(3 * side * side).map((_, i) => 0.5 + 0.4 * Math.sin(i * 0.013) * Math.cos(i * 0.0007));
  const s = {
    cpu: await ort.InferenceSession.create(file, { executionProviders: ['cpu'], graphOptimizationLevel: 'all' }),
    webgpu: await ort.InferenceSession.create(file, { executionProviders: ['webgpu'], graphOptimizationLevel: 'all', logSeverityLevel: 3 }),
  };
  const feeds = (k) => ({ [s[k].inputNames[0]]: new ort.Tensor('float32', x, [1, 3, side, side]) });
  const first = {};
  const y = {};
  for (const k of ['cpu', 'webgpu']) {
    const t0 = performance.now();
    y[k] = (await s[k].run(feeds(k)))[s[k].outputNames[0]].data;
    first[k] = +(performance.now() - t0).toFixed(1);
  }
  const t = { cpu: [], webgpu: [] };
  for (let r = 0; r < rounds; r++) {
    for (const k of r % 2 ? ['webgpu', 'cpu'] : ['cpu', 'webgpu']) {
      const t0 = performance.now();
      await s[k].run(feeds(k));
      t[k].push(performance.now() - t0);
    }
  }
  const med = (v) => +[...v].sort((a, b) => a - b)[v.length >> 1].toFixed(1);
  let max = 0;
  for (let i = 0; i < y.cpu.length; i++) max = Math.max(max, Math.abs(y.cpu[i] - y.webgpu[i]));
  const out = { model: path.basename(file), side, rounds, firstRunMs: first, medianMs: { cpu: med(t.cpu), webgpu: med(t.webgpu) }, maxAbsDiff: max };
  out.webgpuSlowerBy = +(out.medianMs.webgpu / out.medianMs.cpu).toFixed(1);
  console.log(JSON.stringify(out));
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
