// Runs an ONNX model with onnxruntime-node (the runtime the app uses) for the Python parity checks.
// usage: node ort_run.cjs <spec.json>; spec = { model, inputs: {name: {file, shape, dtype}}, outDir }
// Each input file is raw little-endian float32; each output is written as <outDir>/<name>.bin + <name>.json (shape).
const fs = require('node:fs');
const path = require('node:path');
const ort = require(path.resolve(__dirname, '../../node_modules/onnxruntime-node'));

(async () => {
  const spec = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
  const session = await ort.InferenceSession.create(spec.model, { executionProviders: ['cpu'] });
  const feeds = {};
  for (const [name, inp] of Object.entries(spec.inputs)) {
    const buf = fs.readFileSync(inp.file);
    const data = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
    feeds[name] = new ort.Tensor('float32', data, inp.shape);
  }
  const out = await session.run(feeds);
  for (const [name, t] of Object.entries(out)) {
    fs.writeFileSync(path.join(spec.outDir, `${name}.bin`), Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength));
    fs.writeFileSync(path.join(spec.outDir, `${name}.json`), JSON.stringify(t.dims));
  }
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
