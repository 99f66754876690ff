// Shipped model vs its fused graph (bench/restore/fuse_onnx.py): the same output (max abs difference on a real
// photo) and the speed of one tile, the two sessions run alternately in one process so that the load other jobs put
// on the machine hits both alike. Plain Node:
//   node bench/restore/fused-compare.cjs models/restore-naf32-v2.onnx bench/.tmp/restore/fused.onnx [side] [rounds] [threads]
const path = require('node:path');
const ort = require('onnxruntime-node');
const sharp = require('sharp');

(async () => {
  const [a, b, sideArg, roundsArg, threadsArg] = process.argv.slice(2);
  const side = Number(sideArg || 768);
  const rounds = Number(roundsArg || 6);
  const threads = Number(threadsArg || 0);
  const so = { executionProviders: ['cpu'], graphOptimizationLevel: 'all' };
  if (threads > 0) so.intraOpNumThreads = threads;
  const sa = await ort.InferenceSession.create(a, so);
  const sb = await ort.InferenceSession.create(b, so);
  // a real photo: an old scan from ../shared, resized to side x side, planar float in [0, 1]
  const photo = path.resolve(__dirname, '../../../shared/datasets/old-photos/d.png');
  const { data } = await sharp(photo).removeAlpha().resize(side, side, { fit: 'cover' }).raw().toBuffer({ resolveWithObject: true });
  const n = side * side;
  const x = new Float32Array(3 * n);
  for (let i = 0; i < n; i++) for (let c = 0; c < 3; c++) x[c * n + i] = data[3 * i + c] / 255;
  const feeds = (s) => ({ [s.inputNames[0]]: new ort.Tensor('float32', x, [1, 3, side, side]) });
  const ya = (await sa.run(feeds(sa)))[sa.outputNames[0]].data;
  const yb = (await sb.run(feeds(sb)))[sb.outputNames[0]].data;
  let max = 0;
  let se = 0;
  for (let i = 0; i < ya.length; i++) {
    const d = ya[i] - yb[i];
    max = Math.max(max, Math.abs(d));
    se += d * d;
  }
  const psnr = 10 * Math.log10(1 / (se / ya.length));
  const times = { a: [], b: [] };
  for (let r = 0; r < rounds; r++) {
    for (const [k, s] of r % 2 ? [['b', sb], ['a', sa]] : [['a', sa], ['b', sb]]) {
      const t0 = performance.now();
      await s.run(feeds(s));
      times[k].push(performance.now() - t0);
    }
  }
  const med = (v) => [...v].sort((p, q) => p - q)[v.length >> 1];
  const out = {
    side,
    rounds,
    threads: threads || 'all',
    maxAbsDiff: max,
    psnrBetweenThem: +psnr.toFixed(1),
    shippedMs: { best: +Math.min(...times.a).toFixed(1), median: +med(times.a).toFixed(1) },
    fusedMs: { best: +Math.min(...times.b).toFixed(1), median: +med(times.b).toFixed(1) },
  };
  out.speedupMedian = +(out.shippedMs.median / out.fusedMs.median).toFixed(3);
  out.speedupBest = +(out.shippedMs.best / out.fusedMs.best).toFixed(3);
  console.log(JSON.stringify(out));
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
