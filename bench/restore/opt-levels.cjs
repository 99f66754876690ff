// One model under onnxruntime's graph optimisation levels "all", "extended" and "basic", run alternately in one
// process: best ms per run of a side x side input.   node bench/restore/opt-levels.cjs MODEL.onnx [side] [rounds]
const path = require('node:path');
const ort = require(path.resolve(__dirname, '../../node_modules/onnxruntime-node'));

(async () => {
  const [file, sideArg, roundsArg] = process.argv.slice(2);
  const n = Number(sideArg || 512);
  const rounds = Number(roundsArg || 4);
  const x = new Float32Array(3 * n * n).map((_, i) => ((i * 2654435761) % 1000) / 1000);
  const ss = {};
  for (const lvl of ['all', 'extended', 'basic']) ss[lvl] = await ort.InferenceSession.create(file, { executionProviders: ['cpu'], graphOptimizationLevel: lvl });
  const best = {};
  for (let r = 0; r < rounds; r++) {
    for (const [k, s] of Object.entries(ss)) {
      const t0 = performance.now();
      await s.run({ [s.inputNames[0]]: new ort.Tensor('float32', x, [1, 3, n, n]) });
      best[k] = Math.min(best[k] ?? Infinity, performance.now() - t0);
    }
  }
  const out = { side: n, rounds, bestMs: Object.fromEntries(Object.entries(best).map(([k, v]) => [k, +v.toFixed(1)])) };
  out.slowerThanAll = { extended: +(best.extended / best.all).toFixed(2), basic: +(best.basic / best.all).toFixed(2) };
  console.log(JSON.stringify(out));
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
