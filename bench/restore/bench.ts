// End-to-end restore benchmark: megapixels per second through the real pipeline (decode -> tiled inference ->
// encode, as `revive restore` runs it), on a 12-megapixel photo and on CBSD68, with the time split and the peak RSS
// of each phase (each phase runs in its own child process). The peer model (DnCNN colour-blind) runs on the same
// images in the same run through the same pipeline, and its raw conv throughput (GMAC/s) is the machine's own limit.
//
// Build and run (see bench/restore/README.md):
//   npx vite build --config bench/restore/vite.config.ts && node bench/.tmp/restore/bench.cjs [options]
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { SessionCache } from '../../src/core/inference/session';
import { type FileTimings, runRestoreJob } from '../../src/core/jobs/batch';
import { findModelsDir, getModel, loadManifest } from '../../src/core/models/manifest';
import type { Manifest, RestoreModel } from '../../src/shared/types';

const ROOT = path.resolve(__dirname, '../../..');
const TMP = path.join(ROOT, 'bench/.tmp/restore');
const DATA = path.resolve(ROOT, '../shared');
const PEER = path.join(DATA, 'peers/dncnn_color_blind.onnx');
const CBSD68 = path.join(DATA, 'datasets/val/cbsd68');
const PHOTO_SRC = path.join(DATA, 'datasets/old-photos/d.png');
// DnCNN colour: conv 3->64, 18 x conv 64->64, conv 64->3, all 3x3 at full resolution: MACs per pixel
const PEER_MAC_PER_PIXEL = 3 * 64 * 9 + 18 * 64 * 64 * 9 + 64 * 3 * 9;

const { values: opt } = parseArgs({
  options: {
    model: { type: 'string' },
    'models-dir': { type: 'string' },
    limit: { type: 'string', default: '68' },
    threads: { type: 'string', default: '0' },
    'no-peer': { type: 'boolean', default: false },
    'no-peer-12mp': { type: 'boolean', default: false },
    write: { type: 'string' },
    phase: { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});

function vmHWM(): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) * 1024 : process.memoryUsage().rss;
}

interface PhaseResult {
  phase: string;
  model: string;
  files: number;
  ok: number;
  megapixels: number;
  wallS: number;
  decodeS: number;
  inferenceS: number;
  tilingS: number; // restore time outside session.run: tile extraction, padding, blending
  encodeS: number;
  /** Share of the wall time not spent inside session.run (nor loading the model): decode, tiling, encode not hidden. */
  outsidePct: number;
  loadS: number; // model verification + session creation
  tiles: number;
  peakRssMB: number;
  mpPerS: number;
  gmacPerS: number; // of inference time alone
  provider: string;
}

const IN_TURN = 'CBSD68 (each written before the next)';

async function phase(name: string, modelsDir: string, modelId: string, inputs: string[], format: 'same' | 'png'): Promise<PhaseResult> {
  const manifest = await loadManifest(modelsDir);
  const entry = getModel(manifest, modelId, 'restore');
  const outDir = path.join(TMP, `out-${name}`);
  fs.rmSync(outDir, { recursive: true, force: true });
  const sessions = new SessionCache({ threads: Number(opt.threads) });
  const t: FileTimings[] = [];
  let provider = '';
  const started = performance.now();
  const t0 = performance.now();
  await sessions.get(modelsDir, entry, 'cpu');
  const loadS = (performance.now() - t0) / 1000;
  const summary = await runRestoreJob(
    { inputs, outDir, settings: { modelId, device: 'cpu', strength: 1, format, quality: 92 } },
    {
      sessions,
      modelsDir,
      onTimings: (_, x) => t.push(x),
      overlapMaxPixels: name === IN_TURN ? 0 : undefined,
      onEvent: (e) => {
        if (e.type === 'provider') provider = e.report.used;
        if (e.type === 'file-done' && e.result.status === 'error') console.error(`${e.result.input}: ${e.result.error}`);
      },
    },
  );
  const wallS = (performance.now() - started) / 1000;
  const sum = (k: keyof FileTimings) => t.reduce((a, x) => a + x[k], 0);
  const mp = sum('pixels') / 1e6;
  const inferenceS = sum('inferenceMs') / 1000;
  const res: PhaseResult = {
    phase: name,
    model: entry.id,
    files: summary.total,
    ok: summary.ok,
    megapixels: +mp.toFixed(3),
    wallS: +wallS.toFixed(2),
    decodeS: +(sum('decodeMs') / 1000).toFixed(2),
    inferenceS: +inferenceS.toFixed(2),
    tilingS: +((sum('restoreMs') - sum('inferenceMs')) / 1000).toFixed(2),
    encodeS: +(sum('encodeMs') / 1000).toFixed(2),
    outsidePct: +((100 * (wallS - inferenceS - loadS)) / wallS).toFixed(1),
    loadS: +loadS.toFixed(2),
    tiles: sum('tiles'),
    peakRssMB: Math.round(vmHWM() / 2 ** 20),
    mpPerS: +(mp / wallS).toFixed(3),
    gmacPerS: +((entry.gmac_per_mp * mp) / inferenceS).toFixed(1),
    provider,
  };
  await sessions.dispose();
  fs.rmSync(outDir, { recursive: true, force: true });
  return res;
}

/** Best-of-N raw throughput of the peer's convolutions at 256x256 in onnxruntime (no decode, no tiling). */
async function convCeiling(): Promise<{ gmacPerS: number; msPerRun: number }> {
  const so: ort.InferenceSession.SessionOptions = { executionProviders: ['cpu'], graphOptimizationLevel: 'all' };
  if (Number(opt.threads) > 0) so.intraOpNumThreads = Number(opt.threads);
  const s = await ort.InferenceSession.create(PEER, so);
  const n = 256;
  const x = new Float32Array(3 * n * n).map((_, i) => ((i * 2654435761) % 1000) / 1000);
  const feeds = { [s.inputNames[0]]: new ort.Tensor('float32', x, [1, 3, n, n]) };
  await s.run(feeds);
  let best = Infinity;
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    await s.run(feeds);
    best = Math.min(best, performance.now() - t0);
  }
  await s.release();
  return { gmacPerS: +((PEER_MAC_PER_PIXEL * n * n) / 1e9 / (best / 1000)).toFixed(1), msPerRun: +best.toFixed(1) };
}

/** A models folder listing the peer as a restore model, so it runs through exactly the same pipeline. */
function peerModelsDir(): string {
  const dir = path.join(TMP, 'peer-models');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'dncnn_color_blind.onnx');
  if (!fs.existsSync(file)) fs.symlinkSync(PEER, file);
  const sha = createHash('sha256').update(fs.readFileSync(PEER)).digest('hex');
  const entry: RestoreModel = {
    id: 'peer-dncnn',
    kind: 'restore',
    name: 'DnCNN colour-blind (peer, KAIR weights)',
    file: 'dncnn_color_blind.onnx',
    sha256: sha,
    bytes: fs.statSync(PEER).size,
    inputs: ['input'],
    outputs: ['output'],
    value_range: [0, 1],
    size_multiple: 1,
    tile: 512,
    receptive_overlap: 80, // receptive radius 20 px = the dropped quarter of the overlap
    params: 668_227,
    gmac_per_mp: PEER_MAC_PER_PIXEL / 1e3,
  };
  const m: Manifest = { version: 1, default_restore: entry.id, default_diffusion: '', models: [entry] };
  fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(m, null, 2));
  return dir;
}

async function make12mp(): Promise<string> {
  const file = path.join(TMP, 'photo-12mp.jpg');
  if (!fs.existsSync(file)) {
    fs.mkdirSync(TMP, { recursive: true });
    // a real scanned old photo (736x1016) scaled to 3000x4000 = 12.0 MP, JPEG q92
    await sharp(PHOTO_SRC).removeAlpha().resize(3000, 4000, { fit: 'fill', kernel: 'lanczos3' }).jpeg({ quality: 92 }).toFile(file);
  }
  return file;
}

function cbsdInputs(): string[] {
  const limit = Number(opt.limit);
  const all = fs.readdirSync(CBSD68).filter((f) => f.endsWith('.png')).sort();
  if (limit >= all.length) return [CBSD68];
  const dir = path.join(TMP, `cbsd68-first-${limit}`);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  for (const f of all.slice(0, limit)) fs.symlinkSync(path.join(CBSD68, f), path.join(dir, f));
  return [dir];
}

function runChild(args: string[]): PhaseResult {
  const r = spawnSync(process.execPath, [__filename, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (r.status !== 0) throw new Error(`phase ${args.join(' ')} failed (${r.status})`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

function machine(): string {
  let cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  try {
    const l = execFileSync('lscpu', { encoding: 'utf8' });
    const get = (k: string) => new RegExp(`^${k}:\\s*(.+)$`, 'm').exec(l)?.[1]?.trim();
    cpu = `${get('Model name') ?? cpu}; ${get('CPU\\(s\\)')} CPUs (${get('Thread\\(s\\) per core')} threads/core); flags ${
      ['avx2', 'avx512f', 'avx512_vnni', 'amx_tile'].filter((f) => new RegExp(`\\b${f}\\b`).test(get('Flags') ?? '')).join(' ') || '-'
    }`;
  } catch {
    // lscpu missing: keep os.cpus()
  }
  const mem = (os.totalmem() / 2 ** 30).toFixed(0);
  return `${cpu}; ${mem} GiB RAM; ${os.type()} ${os.release()}; Node ${process.version}; onnxruntime-node ${
    (require('onnxruntime-node/package.json') as { version: string }).version
  }`;
}

function table(rows: PhaseResult[]): string {
  const head =
    '| phase | model | files | MP | wall s | MP/s | decode s | inference s | tiling s | encode s | outside inference | model load s | tiles | GMAC/s (inference) | peak RSS MB |';
  const sep = '|' + ' --- |'.repeat(15);
  const lines = rows.map(
    (r) =>
      `| ${r.phase} | ${r.model} | ${r.ok}/${r.files} | ${r.megapixels} | ${r.wallS} | **${r.mpPerS}** | ${r.decodeS} | ${r.inferenceS} | ${r.tilingS} | ${r.encodeS} | ${r.outsidePct} % | ${r.loadS} | ${r.tiles} | ${r.gmacPerS} | ${r.peakRssMB} |`,
  );
  return [head, sep, ...lines].join('\n');
}

async function main() {
  if (opt.phase) {
    // child: one phase, JSON result on the last stdout line
    const [name, dir, id, format, ...inputs] = opt.phase.split('\u0001');
    const r = await phase(name, dir, id, inputs, format as 'same' | 'png');
    process.stdout.write(JSON.stringify(r) + '\n');
    return;
  }
  const modelsDir = opt['models-dir'] ? path.resolve(opt['models-dir']) : findModelsDir(ROOT);
  const manifest = await loadManifest(modelsDir);
  const model = getModel(manifest, opt.model, 'restore');
  const photo = await make12mp();
  const cbsd = cbsdInputs();
  const phases: [string, string, string, string, string[]][] = [
    ['12 MP photo', modelsDir, model.id, 'same', [photo]],
    ['CBSD68', modelsDir, model.id, 'same', cbsd],
    // the same without writing one photo while the next restores: what the overlap gains, in the same run
    [IN_TURN, modelsDir, model.id, 'same', cbsd],
  ];
  if (!opt['no-peer']) {
    const pd = peerModelsDir();
    phases.push(['CBSD68 (peer)', pd, 'peer-dncnn', 'same', cbsd]);
    if (!opt['no-peer-12mp']) phases.push(['12 MP photo (peer)', pd, 'peer-dncnn', 'same', [photo]]);
  }
  const load = os.loadavg()[0].toFixed(2);
  const rows: PhaseResult[] = [];
  for (const [name, dir, id, format, inputs] of phases) {
    console.error(`bench: ${name} with ${id}...`);
    const r = runChild(['--phase', [name, dir, id, format, ...inputs].join('\u0001'), '--threads', String(opt.threads)]);
    console.error(`  ${JSON.stringify(r)}`);
    rows.push(r);
  }
  const ceiling = opt['no-peer'] ? null : await convCeiling();
  const loadAfter = os.loadavg()[0].toFixed(2);
  const date = new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
  const mine = rows.filter((r) => r.model === model.id);
  const md = [
    '<!-- restore-bench:start (generated by bench/restore/bench.ts; edits here are overwritten) -->',
    '## Restore engine, end to end (`bench/restore`)',
    '',
    `Measured ${date} on: ${machine()}.`,
    `Load average (1 min) ${load} before and ${loadAfter} after the run (other jobs on the machine share these cores).`,
    `Model: \`${model.id}\` (${model.name}; ${model.params} parameters, ${model.gmac_per_mp} GMAC per megapixel), tile ${model.tile}, overlap ${model.receptive_overlap}; ` +
      `threads: ${Number(opt.threads) || 'all'}; provider: ${rows[0]?.provider}. Each phase is a fresh process: decode (sharp) -> tiled inference (onnxruntime-node) -> encode, as \`revive restore\` runs it. ` +
      'A photo is written while the next one restores (up to 16 MP), so encode s overlaps the other columns; "outside inference" is the share of the wall time (model load excluded) not spent inside session.run.',
    '',
    table(rows),
    '',
    ceiling
      ? `Machine limit: the peer's convolutions alone (DnCNN, ${(PEER_MAC_PER_PIXEL / 1e3).toFixed(0)} GMAC per megapixel, 256x256 input, best of 5) run at **${ceiling.gmacPerS} GMAC/s** ` +
        `(${ceiling.msPerRun} ms per run) in onnxruntime on this machine. ` +
        (mine.length
          ? `The restore model's inference reached ${mine.map((r) => `${r.gmacPerS} GMAC/s (${r.phase})`).join(', ')}; a tiny fixture model is dominated by per-tile overhead, not by MACs.`
          : '')
      : '',
    '',
    `Command: \`npx vite build --config bench/restore/vite.config.ts && node bench/.tmp/restore/bench.cjs ${process.argv.slice(2).join(' ')}\`` +
      ' (without --model: the manifest\'s default_restore; see bench/restore/README.md).',
    '<!-- restore-bench:end -->',
  ].join('\n');
  console.log(md);
  if (opt.write) {
    const file = path.resolve(opt.write);
    const old = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '# Benchmarks\n';
    const re = /<!-- restore-bench:start[\s\S]*?<!-- restore-bench:end -->/;
    const next = re.test(old) ? old.replace(re, md) : `${old.trimEnd()}\n\n${md}\n`;
    fs.writeFileSync(file, next);
    console.error(`bench: wrote ${file}`);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
