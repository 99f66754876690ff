// Refine speed: seconds for a painted region whose network input is 256x256 and 512x512, at t0 = 0.5 T with 20
// steps, on the CPU, split into network time and the rest (mask, noise, DDIM update, tiling, paste-back).
// Runs the engine's refineImage on a real 1600-px photo; the photo's size does not enter the cost (see docs/refine.md).
//   npx jiti bench/refine/bench.ts [--reps 3] [--steps 20] [--threads 0,1] [--models DIR]   (writes bench/refine/bench.json and
//   the '## Refine' section of docs/BENCHMARKS.md)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { decodeImage } from '../../src/core/image/decode';
import { SessionCache } from '../../src/core/inference/session';
import { findModelsDir } from '../../src/core/models/manifest';
import { loadDiffusion } from '../../src/core/refine/load';
import { maskReach } from '../../src/core/refine/mask';
import { DEFAULT_CONTEXT, DEFAULT_FEATHER, refineImage } from '../../src/core/refine/sdedit';

const ROOT = path.resolve(__dirname, '../..');
const PHOTO = path.resolve(ROOT, '../shared/datasets/train/wallpapers/Bridge_by_Sander_Klootwijk.jpg');
const arg = (k: string, d: string) => {
  const i = process.argv.indexOf(`--${k}`);
  return i > 0 ? process.argv[i + 1] : d;
};
const REPS = Number(arg('reps', '3'));
const STEPS = Number(arg('steps', '20'));
// intra-op thread settings to measure; 0 = onnxruntime's default (all cores), what the app uses
const THREADS = arg('threads', '0,1').split(',').map(Number);
const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];

async function main() {
  const modelsDir = path.resolve(arg('models', findModelsDir(ROOT)));
  const img = await decodeImage(PHOTO);
  const { width: W, height: H } = img;
  const results = [];
  let d!: Awaited<ReturnType<typeof loadDiffusion>>;
  for (const threads of THREADS) {
    const sessions = new SessionCache({ threads });
    d = await loadDiffusion(sessions, modelsDir, { device: 'cpu' });
    for (const side of [256, 512]) {
      // a painted square whose mask box plus context is exactly side x side
      const paint = side - 2 * (maskReach(DEFAULT_FEATHER) + DEFAULT_CONTEXT);
      const x0 = Math.round(W / 2 - paint / 2);
      const y0 = Math.round(H / 2 - paint / 2);
      const strokes = new Uint8Array(W * H * 4);
      for (let y = y0; y < y0 + paint; y++) for (let x = x0; x < x0 + paint; x++) strokes.set([120, 160, 200, 255], 4 * (y * W + x));
      const opts = { strength: 0.5, steps: STEPS, repeats: 1, seed: 1, eta: 0, tile: d.tile };
      await refineImage({ image: img, strokes }, d.model, d.sched, { ...opts, steps: 1 }); // warm-up
      const total: number[] = [];
      const model: number[] = [];
      const cpuS: number[] = [];
      let region = '';
      let calls = 0;
      for (let r = 0; r < REPS; r++) {
        d.model.counters.ms = 0;
        d.model.counters.calls = 0;
        const c0 = process.cpuUsage();
        const t = performance.now();
        const out = await refineImage({ image: img, strokes }, d.model, d.sched, { ...opts, seed: r + 1 });
        total.push((performance.now() - t) / 1000);
        const c = process.cpuUsage(c0);
        cpuS.push((c.user + c.system) / 1e6);
        model.push(d.model.counters.ms / 1000);
        region = `${out.stats.region.runW}x${out.stats.region.runH}`;
        calls = d.model.counters.calls;
      }
      const row = {
        threads: threads || 'default',
        painted: `${paint}x${paint}`,
        region,
        calls,
        total_s: median(total),
        model_s: median(model),
        rest_s: median(total.map((t, i) => t - model[i])),
        per_step_s: median(model) / calls,
        cpu_s: median(cpuS), // CPU time of this process over all its threads (what the run costs, load aside)
        runs: total.map((t) => +t.toFixed(2)),
      };
      console.log(JSON.stringify(row));
      results.push(row);
    }
    await sessions.dispose();
  }
  const cpu = os.cpus();
  const out = {
    date: new Date().toISOString(),
    machine: `${cpu[0]?.model ?? 'cpu'}, ${cpu.length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
    load: os.loadavg().map((v) => +v.toFixed(2)),
    photo: `${path.basename(PHOTO)} ${W}x${H}`,
    model: { id: d.entry.id, name: d.entry.name, gmac_per_mp: d.entry.gmac_per_mp },
    steps: STEPS,
    reps: REPS,
    results,
  };
  fs.writeFileSync(path.join(ROOT, 'bench/refine/bench.json'), JSON.stringify(out, null, 2) + '\n');

  const f = (v: number) => v.toFixed(2);
  const section = [
    '## Refine',
    '',
    `SDEdit refine (\`npm run bench:refine\`), t0 = 0.5 T, ${STEPS} steps (network evaluations), eta 0, one repeat,`,
    `median of ${REPS} runs after a warm-up; ${out.date.slice(0, 16).replace('T', ' ')} UTC on ${out.machine},`,
    `onnxruntime-node CPU provider; load average at the end ${out.load.join(' / ')}`,
    `(${out.load[0] > 1.5 ? 'other jobs shared the cores, so these are slower than on an idle machine' : 'nothing else was running'}). Model \`${d.entry.id}\``,
    `(${d.entry.gmac_per_mp} GMAC per megapixel per evaluation). Photo ${out.photo}; the painted square is sized so that its`,
    `mask box plus ${DEFAULT_CONTEXT} px of context (the network input) is the stated region; the rest of the photo costs nothing.`,
    '',
    '| network input | painted | threads | evaluations | total s | network s | rest s | network s per evaluation | CPU s (all threads) | runs (s) |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...results.map((r) => `| ${r.region} | ${r.painted} | ${r.threads} | ${r.calls} | ${f(r.total_s)} | ${f(r.model_s)} | ${f(r.rest_s)} | ${f(r.per_step_s)} | ${f(r.cpu_s)} | ${r.runs.join(', ')} |`),
    '',
    'threads: onnxruntime intra-op threads (default = all cores, what the app and `revive refine` use unless given',
    '`--threads`). CPU s is the process\'s CPU time over all its threads; where it is not about threads x network s,',
    'the run waited for cores that other jobs held (the timings then say more about the load than about refine).',
    'For scale: the published SDEdit (Meng et al. 2021) takes 29 s for one 256x256 image on a 2080 Ti GPU.',
    '',
  ].join('\n');
  const file = path.join(ROOT, 'docs/BENCHMARKS.md');
  let text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '# Benchmarks\n\n';
  const i = text.indexOf('## Refine');
  if (i >= 0) {
    const j = text.indexOf('\n## ', i + 1);
    text = text.slice(0, i) + section + (j >= 0 ? '\n' + text.slice(j + 1) : '');
  } else {
    text = text.replace(/\s*$/, '\n\n') + section;
  }
  fs.writeFileSync(file, text);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
