// Where the inference time goes: onnxruntime's own profiler (enableProfiling) on one tile, summed per operator type
// (kernel time of each node, as onnxruntime ran the optimised graph: "ReorderInput/Output" are the NCHWc layout
// conversions its graph optimiser inserts around the convolutions).
import fs from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-node';

export interface OpTime {
  op: string;
  ms: number; // per run
  pct: number;
  nodes: number; // nodes of this type in the optimised graph
}

export interface Profile {
  file: string;
  side: number;
  runs: number;
  wallMs: number; // best session.run of the profiled runs
  kernelMs: number; // sum of kernel times per run
  ops: OpTime[];
}

interface Event {
  cat: string;
  name: string;
  dur: number;
  args?: { op_name?: string };
}

export async function operatorProfile(file: string, side: number, opts: { threads?: number; runs?: number; dir: string }): Promise<Profile> {
  const runs = opts.runs ?? 3;
  fs.mkdirSync(opts.dir, { recursive: true });
  const prefix = path.join(opts.dir, `${path.basename(file, '.onnx')}-${side}`);
  const so: ort.InferenceSession.SessionOptions = {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    enableProfiling: true,
    profileFilePrefix: prefix,
  };
  if (opts.threads && opts.threads > 0) so.intraOpNumThreads = opts.threads;
  const before = new Set(fs.readdirSync(opts.dir));
  const s = await ort.InferenceSession.create(file, so);
  const x = new Float32Array(3 * side * side).map((_, i) => ((i * 2654435761) % 1000) / 1000);
  const feeds = { [s.inputNames[0]]: new ort.Tensor('float32', x, [1, 3, side, side]) };
  await s.run(feeds); // warm-up (its events are left out below: the first run's are the first `nodes` events)
  let wallMs = Infinity;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await s.run(feeds);
    wallMs = Math.min(wallMs, performance.now() - t0);
  }
  s.endProfiling();
  await s.release();
  const out = fs.readdirSync(opts.dir).find((f) => !before.has(f) && f.startsWith(path.basename(prefix)) && f.endsWith('.json'));
  if (!out) throw new Error(`onnxruntime wrote no profile under ${opts.dir}`);
  const events = (JSON.parse(fs.readFileSync(path.join(opts.dir, out), 'utf8')) as Event[]).filter(
    (e) => e.cat === 'Node' && e.name.endsWith('_kernel_time') && e.args?.op_name,
  );
  fs.rmSync(path.join(opts.dir, out));
  const perRun = events.length / (runs + 1);
  const counted = events.slice(perRun); // without the warm-up run
  const by = new Map<string, { us: number; nodes: Set<string> }>();
  let total = 0;
  for (const e of counted) {
    const op = e.args!.op_name!;
    const b = by.get(op) ?? { us: 0, nodes: new Set<string>() };
    b.us += e.dur;
    b.nodes.add(e.name);
    by.set(op, b);
    total += e.dur;
  }
  const ops = [...by.entries()]
    .map(([op, b]) => ({ op, ms: +(b.us / runs / 1000).toFixed(1), pct: +((100 * b.us) / total).toFixed(1), nodes: b.nodes.size }))
    .sort((a, b) => b.ms - a.ms);
  return { file, side, runs, wallMs: +wallMs.toFixed(1), kernelMs: +(total / runs / 1000).toFixed(1), ops };
}

/** A markdown table of several profiles side by side: one row per operator type, ms and share per model. */
export function profileTable(profiles: { label: string; p: Profile }[]): string {
  const ops = [...new Set(profiles.flatMap(({ p }) => p.ops.filter((o) => o.pct >= 0.5).map((o) => o.op)))];
  const head = `| operator | ${profiles.map(({ label }) => `${label} ms (share, nodes)`).join(' | ')} |`;
  const sep = '|' + ' --- |'.repeat(profiles.length + 1);
  const rows = ops.map((op) => {
    const cells = profiles.map(({ p }) => {
      const o = p.ops.find((x) => x.op === op);
      return o ? `${o.ms} (${o.pct} %, ${o.nodes})` : '-';
    });
    return `| ${op} | ${cells.join(' | ')} |`;
  });
  const total = `| all kernels / best run wall | ${profiles.map(({ p }) => `${p.kernelMs} / ${p.wallMs}`).join(' | ')} |`;
  return [head, sep, ...rows, total].join('\n');
}
