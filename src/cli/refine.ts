// revive refine <photo> --strokes STROKES.png [--mask MASK.png] --out FILE [options]
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Device, RefineSettings } from '../shared/types';
import { DEVICES } from '../shared/types';
import { formatForPath } from '../core/image/encode';
import { describeReport, SessionCache } from '../core/inference/session';
import { findModelsDir } from '../core/models/manifest';
import { engineRefineRunner } from '../core/refine/backend';
import { RANGES } from '../shared/limits';
import { type CliIO, formatMs, numberOpt, span, UsageError } from './io';

export const usage = `usage: revive refine <photo> --strokes STROKES.png --out FILE [options]

Repaints the photo where the strokes are, the way SDEdit does: the painted colours are kept as a guide while the
diffusion model makes them look like part of the photo. Everything outside the (slightly grown, feathered) painted
area stays exactly as it was. The photo itself is never overwritten.

options:
  --strokes FILE         RGBA PNG the size of the photo: painted where alpha > 0 (required)
  --mask FILE            PNG the size of the photo: where the photo may change (white, or alpha > 0);
                         default: the painted area
  -o, --out FILE         the result (required; format from the extension: .png .jpg .webp .tif .avif)
  --strength S           ${span(RANGES.refineStrength)}, how far the painted area is re-imagined (t0 = S x T; default ${RANGES.refineStrength.default})
  --steps N              ${span(RANGES.refineSteps)} network evaluations per repeat (default ${RANGES.refineSteps.default})
  --repeats K            ${span(RANGES.refineRepeats)} rounds of noise-and-denoise (default ${RANGES.refineRepeats.default})
  --seed N               ${span(RANGES.seed)}, the run's random seed; the same seed gives the same result (default ${RANGES.seed.default})
  --eta E                ${span(RANGES.eta)}, 0 = deterministic DDIM, 1 = DDPM-like (default ${RANGES.eta.default})
  --model ID             diffusion model (default: the manifest's default for the device; see \`revive models\`)
  --device DEV           auto | cpu | cuda | dml | webgpu (default auto: the fastest GPU provider
                         present, else the CPU; says why each faster one was not used)
  --quality N            ${span(RANGES.quality)} for lossy formats (default ${RANGES.quality.default})
  --threads N            CPU threads for inference (default: all cores)
  -h, --help             this help

Exit status: 0 done, 1 the refine failed, 2 usage error, 130 cancelled.
`;

export interface RefineArgs {
  input: string;
  strokes: string;
  mask?: string;
  out: string;
  settings: RefineSettings;
  quality: number;
  threads: number;
}

export function parseRefineArgs(args: string[], cwd: string): RefineArgs {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: {
      strokes: { type: 'string' },
      mask: { type: 'string' },
      out: { type: 'string', short: 'o' },
      strength: { type: 'string' },
      steps: { type: 'string' },
      repeats: { type: 'string' },
      seed: { type: 'string' },
      eta: { type: 'string' },
      model: { type: 'string' },
      device: { type: 'string' },
      quality: { type: 'string' },
      threads: { type: 'string' },
    },
  });
  if (positionals.length !== 1) throw new UsageError('give exactly one photo to refine');
  if (!values.strokes) throw new UsageError('--strokes FILE is required');
  if (!values.out) throw new UsageError('--out FILE is required');
  const device = (values.device ?? 'auto') as Device;
  if (!DEVICES.includes(device)) throw new UsageError(`--device must be one of ${DEVICES.join(', ')}`);
  const input = path.resolve(cwd, positionals[0]);
  const out = path.resolve(cwd, values.out);
  if (out === input) throw new UsageError('--out must not be the photo itself: the original is never overwritten');
  if (!formatForPath(out)) throw new UsageError('--out must end in .png, .jpg, .webp, .tif or .avif (the format follows it)');
  return {
    input,
    strokes: path.resolve(cwd, values.strokes),
    mask: values.mask ? path.resolve(cwd, values.mask) : undefined,
    out,
    settings: {
      strength: numberOpt(values.strength, 'strength', RANGES.refineStrength) ?? RANGES.refineStrength.default,
      steps: numberOpt(values.steps, 'steps', RANGES.refineSteps) ?? RANGES.refineSteps.default,
      repeats: numberOpt(values.repeats, 'repeats', RANGES.refineRepeats) ?? RANGES.refineRepeats.default,
      seed: numberOpt(values.seed, 'seed', RANGES.seed) ?? RANGES.seed.default,
      eta: numberOpt(values.eta, 'eta', RANGES.eta) ?? RANGES.eta.default,
      device,
      modelId: values.model || undefined,
    },
    quality: numberOpt(values.quality, 'quality', RANGES.quality) ?? RANGES.quality.default,
    threads: numberOpt(values.threads, 'threads', RANGES.threads) ?? RANGES.threads.default,
  };
}

async function readInput(file: string, what: string): Promise<Uint8Array> {
  try {
    return await fsp.readFile(file);
  } catch (e) {
    throw new Error(`cannot read the ${what} ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
}

export async function run(args: string[], io: CliIO): Promise<number> {
  const a = parseRefineArgs(args, io.cwd);
  const strokes = await readInput(a.strokes, 'strokes');
  const mask = a.mask ? await readInput(a.mask, 'mask') : undefined;
  const modelsDir = findModelsDir(undefined, io.env);
  const sessions = new SessionCache({ threads: a.threads });
  const runner = engineRefineRunner({ modelsDir, sessions, quality: () => a.quality }, { maxRounds: 1 });
  const started = performance.now();
  const tty = io.errIsTTY;
  let cancelled = false;
  let error: string | undefined;
  runner.onEvent((e) => {
    if (e.type === 'provider') io.err(`revive: ${describeReport(e.report)}\n`);
    else if (e.type === 'step' && tty) io.err(`\r\x1b[2Kstep ${e.step}/${e.steps} (${Math.round(e.fraction * 100)}%)`);
    else if (e.type === 'done') {
      if (tty) io.err('\r\x1b[2K');
      cancelled = !!e.cancelled;
      error = e.error;
    }
  });
  const jobId = runner.start({ source: { path: a.input }, strokes, mask, settings: a.settings });
  const onAbort = () => runner.cancel(jobId);
  io.signal?.addEventListener('abort', onAbort);
  try {
    const roundId = await runner.wait(jobId).catch(() => null);
    if (cancelled) {
      io.err('revive refine: cancelled; nothing was written\n');
      return 130;
    }
    if (!roundId) {
      io.err(`revive refine: ${error ?? 'failed'}\n`);
      return 1;
    }
    const out = await runner.saveRound(roundId, a.out);
    io.out(`${out}\n`);
    io.err(`revive: refined ${a.input} -> ${out} in ${formatMs(performance.now() - started)}\n`);
    return 0;
  } finally {
    io.signal?.removeEventListener('abort', onAbort);
    runner.dispose();
    await sessions.dispose();
  }
}
