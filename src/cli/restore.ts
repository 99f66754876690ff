// revive restore <files or folders...> --out DIR [options]
import { statSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type {
  Device,
  ExistingPolicy,
  FileResult,
  JobEvent,
  JobSummary,
  OutputFormat,
  Precision,
  RestoreSettings,
  StageSettings,
} from '../shared/types';
import { DEVICES, EXISTING_POLICIES, OUTPUT_FORMATS } from '../shared/types';
import { TONE_MODES, type ToneInfo, type ToneMode } from '../shared/tone';
import { describeReport, SessionCache } from '../core/inference/session';
import { RestoreJob } from '../core/jobs/batch';
import { findModelsDir } from '../core/models/manifest';
import { hasEscapedBytes } from '../core/fs-paths';
import { RANGES } from '../shared/limits';
import { localStage } from '../shared/settings';
import { type CliIO, formatMs, numberOpt, printable, span, UsageError } from './io';

export const usage = `usage: revive restore <files or folders...> --out DIR [options]

Restores each photo into DIR: a folder's photos keep their layout inside it, a file given alone lands at DIR/<name>.
A photo restored before into DIR from the same contents with the same settings is skipped (so an interrupted run
resumes); originals, and files Revive did not make, are never overwritten. Photos that share a stem in one folder
(a.jpg, a.png) are named with their extension: "a (jpg).jpg", "a (png).png". Several runs (or machines, with
--shard) may write into one DIR at once: each photo is restored by one of them.

options:
  -o, --out DIR          output folder (required; created when missing)
  --format FMT           same | png | jpeg | webp | tiff (default: same as the input)
  --quality N            ${span(RANGES.quality)} for lossy formats (default ${RANGES.quality.default})
  --model ID             restore model (default: the manifest's default; see \`revive models\`)
  --device DEV           auto | cpu | cuda | dml | webgpu (default auto: the fastest GPU provider
                         present, else the CPU; says why each faster one was not used)
  --noise S              ${span(RANGES.strength)}, strength of the noise & grain removal (the local network), kept over
                         its input (default ${RANGES.strength.default}; --strength is the same). Scaled per photo by how
                         much of it the photo needs (a clean photo: little), unless --noise-fixed
  --noise-fixed          apply --noise as given to every photo, not adapted to each
  --network-tones        let the network also shift tones and colours over areas (by default its change
                         may move brightness and colour over more than a few pixels by at most 3 levels:
                         that is the colour & fading stage's job)
  --keep-grain           add back clean grain matched to the grain that was removed, so a print need
                         not look plastic
  --tone T               ${span(RANGES.toneStrength)}, strength of the colour & fading correction, done first (default ${RANGES.toneStrength.default}; 0 = off)
  --tone-mode M          auto | neutral | keep: black-and-white and toned prints stay so (auto), are made
                         neutral grey (neutral), or every photo keeps its colours and gets levels only (keep)
  --scratches MODE       auto | off: find scratches, cracks, dust and specks and fill them from their
                         surroundings (default auto)
  --sensitivity S        ${span(RANGES.scratchSensitivity)}, how readily a mark counts as damage (default ${RANGES.scratchSensitivity.default}; higher finds
                         fainter scratches, and marks more of what belongs to the photo)
  --save-mask PATH       write the mask of what was filled: a .png file for one photo, or a folder
                         (<photo's name>.mask.png in it, for a batch; .2.mask.png, .3... when names
                         repeat); white = filled
  --mask FILE            fill this mask (white = damage, the photo's size) instead of finding damage;
                         one photo only (e.g. a --save-mask output you corrected)
  --tile N               tile size in pixels (default: the model's suggestion)
  --threads N            CPU threads for inference (default: all cores)
  --precision P          fast | exact: on the CPU, run a model's int8 copy where one ships (fast, the
                         default; about 1.5x quicker, within 0.1 dB) or float32 throughout (exact); GPUs
                         always run float32
  --existing E           skip | replace | keep-both: a photo Revive restored into DIR before is skipped
                         when nothing changed (skip, the default; restored again into a new name when the
                         photo or the settings changed), restored again over that earlier output (replace),
                         or restored again into a new name (keep-both)
  --shard K/N            restore only the K-th of N shares of the photos (0 <= K < N), split by each
                         photo's path: N workers running the same command share the work (docs/archive.md)
  --json                 one JSON object per file on stdout, then {"summary": ...}
  -h, --help             this help

Exit status: 0 all done, 1 some files failed (the others are still done), 2 usage error, 130 cancelled.
`;

export interface RestoreArgs {
  inputs: string[];
  outDir: string;
  settings: RestoreSettings;
  json: boolean;
  threads: number;
  precision: Precision;
  shard?: { index: number; count: number };
}

/** "K/N" of --shard: 0 <= K < N. */
export function parseShard(v: string | undefined): { index: number; count: number } | undefined {
  if (v === undefined) return undefined;
  const m = /^(\d+)\/(\d+)$/.exec(v.trim());
  const [index, count] = m ? [Number(m[1]), Number(m[2])] : [NaN, NaN];
  if (!(count >= 1 && count <= 1_000_000 && index >= 0 && index < count)) {
    throw new UsageError(`--shard must be K/N with 0 <= K < N (e.g. 0/4 ... 3/4), got "${v}"`);
  }
  return { index, count };
}

export function parseRestoreArgs(args: string[], cwd: string): RestoreArgs {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: {
      out: { type: 'string', short: 'o' },
      format: { type: 'string' },
      quality: { type: 'string' },
      model: { type: 'string' },
      device: { type: 'string' },
      strength: { type: 'string' },
      noise: { type: 'string' },
      'keep-grain': { type: 'boolean', default: false },
      'noise-fixed': { type: 'boolean', default: false },
      'network-tones': { type: 'boolean', default: false },
      tone: { type: 'string' },
      'tone-mode': { type: 'string' },
      scratches: { type: 'string' },
      sensitivity: { type: 'string' },
      'save-mask': { type: 'string' },
      mask: { type: 'string' },
      tile: { type: 'string' },
      threads: { type: 'string' },
      precision: { type: 'string' },
      existing: { type: 'string' },
      shard: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  if (!positionals.length) throw new UsageError('give at least one photo or folder to restore');
  if (!values.out) throw new UsageError('--out DIR is required');
  if (hasEscapedBytes(values.out)) {
    throw new UsageError(`--out: the folder name ${printable(values.out)} is not valid UTF-8; choose a folder whose name is`);
  }
  const format = (values.format ?? 'same') as OutputFormat;
  if (!OUTPUT_FORMATS.includes(format)) throw new UsageError(`--format must be one of ${OUTPUT_FORMATS.join(', ')}`);
  const device = (values.device ?? 'auto') as Device;
  if (!DEVICES.includes(device)) throw new UsageError(`--device must be one of ${DEVICES.join(', ')}`);
  const tile = numberOpt(values.tile, 'tile', RANGES.tile);
  const toneMode = (values['tone-mode'] ?? 'auto') as ToneMode;
  if (!TONE_MODES.includes(toneMode)) throw new UsageError(`--tone-mode must be one of ${TONE_MODES.join(', ')}`);
  const scratches = parseScratchArgs(values, positionals, cwd);
  const precision = (values.precision ?? 'fast') as Precision;
  if (precision !== 'fast' && precision !== 'exact') throw new UsageError('--precision must be fast or exact');
  const existing = (values.existing ?? 'skip') as ExistingPolicy;
  if (!EXISTING_POLICIES.includes(existing)) throw new UsageError(`--existing must be one of ${EXISTING_POLICIES.join(', ')}`);
  return {
    inputs: positionals.map((p) => path.resolve(cwd, p)),
    outDir: path.resolve(cwd, values.out),
    settings: {
      modelId: values.model || undefined,
      device,
      strength: noiseStrength(values.noise, values.strength),
      tile,
      format,
      quality: numberOpt(values.quality, 'quality', RANGES.quality) ?? RANGES.quality.default,
      stages: {
        tone: { strength: numberOpt(values.tone, 'tone', RANGES.toneStrength) ?? RANGES.toneStrength.default, mode: toneMode },
        scratches,
        ...localStage(values['keep-grain'] === true, values['noise-fixed'] !== true, values['network-tones'] !== true),
      },
      existing,
    },
    shard: parseShard(values.shard),
    json: values.json ?? false,
    threads: numberOpt(values.threads, 'threads', RANGES.threads) ?? RANGES.threads.default,
    precision,
  };
}

/** --noise, or its older name --strength (not both). */
function noiseStrength(noise: string | undefined, strength: string | undefined): number {
  if (noise !== undefined && strength !== undefined) throw new UsageError('give --noise or --strength, not both (they are the same)');
  if (noise !== undefined) return numberOpt(noise, 'noise', RANGES.strength) ?? RANGES.strength.default;
  return numberOpt(strength, 'strength', RANGES.strength) ?? RANGES.strength.default;
}

/** The scratch stage's settings from --scratches, --sensitivity, --save-mask and --mask. */
function parseScratchArgs(
  values: { scratches?: string; sensitivity?: string; 'save-mask'?: string; mask?: string },
  positionals: string[],
  cwd: string,
): StageSettings {
  const mode = values.scratches ?? 'auto';
  if (mode !== 'auto' && mode !== 'off') throw new UsageError('--scratches must be auto or off');
  const sensitivity = numberOpt(values.sensitivity, 'sensitivity', RANGES.scratchSensitivity);
  const single = positionals.length === 1 && isFile(path.resolve(cwd, positionals[0]));
  if (mode === 'off') {
    if (values.mask || values['save-mask']) throw new UsageError('--mask and --save-mask need --scratches auto');
    return { enabled: false };
  }
  if (values.mask && !single) throw new UsageError('--mask fills one photo: give exactly one photo file, not a folder');
  const saveMask = values['save-mask'];
  if (saveMask && /\.png$/i.test(saveMask) && !single) {
    throw new UsageError('--save-mask FILE.png is for one photo; for a batch give a folder (--save-mask masks/)');
  }
  return {
    ...(sensitivity !== undefined ? { sensitivity } : {}),
    ...(values.mask ? { mask: path.resolve(cwd, values.mask) } : {}),
    ...(saveMask ? { saveMask: path.resolve(cwd, saveMask) } : {}),
  };
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/** A one-line progress bar on stderr (only drawn when stderr is a terminal). */
class ProgressBar {
  private line = '';
  constructor(
    private readonly io: CliIO,
    private readonly enabled: boolean,
  ) {}

  draw(fraction: number, done: number, total: number, name: string, etaMs: number | null): void {
    if (!this.enabled) return;
    const width = 24;
    const filled = Math.round(Math.min(1, fraction) * width);
    const eta = etaMs === null ? '' : ` ETA ${formatMs(etaMs)}`;
    let s = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(Math.floor(fraction * 100)).padStart(3)}% ${done}/${total}${eta} ${name}`;
    const max = Math.max(20, this.io.columns - 1);
    if (s.length > max) s = s.slice(0, max);
    this.line = s;
    this.io.err(`\r\x1b[2K${s}`);
  }

  clear(): void {
    if (!this.enabled || !this.line) return;
    this.io.err('\r\x1b[2K');
    this.line = '';
  }
}

/** The tone stage's part of a --json line: its summary and its time. */
function toneLine(t: ToneInfo): Record<string, unknown> {
  return { ...t.summary, ms: t.ms };
}

function resultLine(r: FileResult): string {
  const [input, output] = [printable(r.input), printable(r.output)];
  switch (r.status) {
    case 'ok':
      return `ok       ${input} -> ${output} (${formatMs(r.ms)}${r.replaced ? ', replaced the earlier one' : ''})\n`;
    case 'skipped':
      return `skipped  ${input} (already restored with these settings: ${output})\n`;
    case 'cancelled':
      return `cancelled ${input}\n`;
    default:
      return `error    ${input}: ${printable(r.error ?? 'failed')}\n`;
  }
}

export async function run(args: string[], io: CliIO): Promise<number> {
  const a = parseRestoreArgs(args, io.cwd);
  const modelsDir = findModelsDir(undefined, io.env);
  const sessions = new SessionCache({ threads: a.threads, precision: a.precision });
  const bar = new ProgressBar(io, io.errIsTTY && !a.json);
  let files: { input: string; output: string }[] = [];
  let current = '';
  let done = 0;
  let etaMs: number | null = null;
  let lastProvider = '';

  const onEvent = (e: JobEvent) => {
    switch (e.type) {
      case 'start':
        files = e.files;
        break;
      case 'provider': {
        // each stage's model reports where it runs: say it once, and again only when it changes
        const line = describeReport(e.report);
        if (line === lastProvider) break;
        lastProvider = line;
        bar.clear();
        io.err(`revive: ${line}\n`);
        break;
      }
      case 'file-start':
        current = printable(path.basename(e.input));
        break;
      case 'progress':
        done = e.done;
        etaMs = e.etaMs;
        bar.draw(e.fraction, done, e.total, current, etaMs);
        break;
      case 'file-done':
        bar.clear();
        if (a.json) {
          const r = e.result;
          io.out(
            JSON.stringify({
              input: r.input,
              output: r.output,
              status: r.status,
              ms: r.ms,
              ...(r.error ? { error: r.error } : {}),
              ...(r.identical ? { identical: true } : {}),
              ...(r.replaced ? { replaced: true } : {}),
              ...(r.info?.tone ? { tone: toneLine(r.info.tone as unknown as ToneInfo) } : {}),
              ...(r.info?.scratches ? { scratches: r.info.scratches } : {}),
              ...(typeof r.info?.local?.amount === 'number' ? { noiseAmount: r.info.local.amount } : {}),
            }) +
              '\n',
          );
        } else {
          io.out(resultLine(e.result));
        }
        break;
      case 'done':
        bar.clear();
        break;
      default:
        break;
    }
  };

  let summary: JobSummary;
  const job = new RestoreJob(
    { inputs: a.inputs, outDir: a.outDir, settings: a.settings },
    { onEvent, signal: io.signal, sessions, modelsDir, ...(a.shard ? { shard: a.shard } : {}) },
  );
  try {
    summary = await job.run();
  } finally {
    await sessions.dispose();
  }
  if (a.json) io.out(JSON.stringify({ summary }) + '\n');
  else {
    const parts = [`${summary.ok} restored`];
    if (summary.skipped) parts.push(`${summary.skipped} skipped (already restored)`);
    if (summary.failed) parts.push(`${summary.failed} failed`);
    if (summary.cancelled) parts.push(`${summary.cancelled} cancelled`);
    io.err(`revive: ${parts.join(', ')} of ${summary.total} in ${formatMs(summary.ms)}; output in ${printable(a.outDir)}\n`);
  }
  if (files.length === 0 && a.shard && job.found > 0) {
    io.err(`revive: none of the ${job.found} photos is in share ${a.shard.index}/${a.shard.count}\n`);
    return 0;
  }
  if (files.length === 0) {
    io.err(`revive: no photos found in ${printable(a.inputs.join(', '))}\n`);
    return 1;
  }
  // interrupted: 130 whatever else happened before (a failed file is in the lines above)
  if (summary.cancelled) return 130;
  if (summary.failed) return 1;
  return 0;
}
