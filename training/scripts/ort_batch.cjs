// Runs one ONNX model over many inputs with onnxruntime-node (one session), for the Python evaluation scripts.
// usage: node training/scripts/ort_batch.cjs <spec.json>; spec = { model, threads?, items: [{ input, shape, output }] }
// input/output: raw little-endian float32 files; the output's shape goes to <output>.json. Prints total seconds.
const fs = require('node:fs');
const path = require('node:path');
const ort = require(path.resolve(__dirname, '../../node_modules/onnxruntime-node'));

(async () => {
  const spec = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
  const so = { executionProviders: ['cpu'] };
  if (spec.threads) so.intraOpNumThreads = spec.threads;
  const session = await ort.InferenceSession.create(spec.model, so);
  let total = 0;
  for (const it of spec.items) {
    const buf = fs.readFileSync(it.input);
    const data = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
    const t0 = process.hrtime.bigint();
    const out = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', data, it.shape) });
    total += Number(process.hrtime.bigint() - t0) / 1e9;
    const t = out[session.outputNames[0]];
    fs.writeFileSync(it.output, Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength));
    fs.writeFileSync(`${it.output}.json`, JSON.stringify(t.dims));
  }
  console.log(JSON.stringify({ model: path.basename(spec.model), items: spec.items.length, seconds: total }));
})().catch((e) => { console.error(e); process.exit(1); });
