// Throughput of restoration ONNX models with onnxruntime-node on the CPU, all measured in one run on the same input.
// usage: node training/scripts/ort_speed.cjs [--h 321] [--w 481] [--reps 5] [--threads 0] model1.onnx[:multiple] ...
//   e.g. node training/scripts/ort_speed.cjs models/restore-naf32-v2.onnx:16 ../shared/peers/dncnn_color_blind.onnx
// Prints one JSON line per model: mean/min seconds per image and megapixels per second (after one warm-up run).
// A model with a size multiple runs on the image padded up to it (as the app pads); megapixels per second always
// count the real h x w image (default 481x321, a CBSD68 photo), so models are compared on the same work.
const path = require('node:path');
const ort = require(path.resolve(__dirname, '../../node_modules/onnxruntime-node'));

const args = process.argv.slice(2);
const opt = { h: 321, w: 481, reps: 5, threads: 0 };
const models = [];
for (let i = 0; i < args.length; i++) {
  if (args[i].startsWith('--')) opt[args[i].slice(2)] = Number(args[++i]);
  else models.push(args[i].match(/^(.*?)(?::(\d+))?$/).slice(1));
}

(async () => {
  for (const [m, multiple] of models) {
    const so = { executionProviders: ['cpu'], graphOptimizationLevel: 'all' };
    if (opt.threads) so.intraOpNumThreads = opt.threads;
    const session = await ort.InferenceSession.create(m, so);
    // a model with a size multiple gets the input padded up, as the app does; report MP of the real image
    const mult = Number(multiple || 1);
    const H = Math.ceil(opt.h / mult) * mult, W = Math.ceil(opt.w / mult) * mult;
    const data = new Float32Array(3 * H * W);
    for (let i = 0; i < data.length; i++) data[i] = ((i * 2654435761) % 1000) / 1000;
    const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', data, [1, 3, H, W]) };
    await session.run(feeds);
    const times = [];
    for (let r = 0; r < opt.reps; r++) {
      const t0 = process.hrtime.bigint();
      await session.run(feeds);
      times.push(Number(process.hrtime.bigint() - t0) / 1e9);
    }
    const mean = times.reduce((a, b) => a + b, 0) / times.length;
    const mp = (opt.h * opt.w) / 1e6;
    console.log(JSON.stringify({ model: path.basename(m), h: opt.h, w: opt.w, run_h: H, run_w: W,
      mean_s: +mean.toFixed(4), min_s: +Math.min(...times).toFixed(4), mp_per_s: +(mp / mean).toFixed(3) }));
  }
})().catch((e) => { console.error(e); process.exit(1); });
