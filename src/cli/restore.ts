// revive restore <files or folders...> --out DIR [options]
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Device, FileResult, JobEvent, JobSummary, OutputFormat, RestoreSettings } from '../shared/types';
import { DEVICES, OUTPUT_FORMATS } from '../shared/types';
import { TONE_MODES, type ToneInfo, type ToneMode } from '../shared/tone';
import { describeReport, SessionCache } from '../core/inference/session';
import { runRestoreJob } from '../core/jobs/batch';
import { findModelsDir } from '../core/models/manifest';
import { type CliIO, formatMs, UsageError } from './io';

export const usage = `usage: revive restore <files or folders...> --out DIR [options]

Restores each photo into DIR: a folder's photos keep their layout inside it, a file given alone lands at DIR/<name>.
Outputs that already exist are skipped (so an interrupted run resumes); originals are never overwritten.

options:
  -o, --out DIR          output folder (required; created when missing)
  --format FMT           same | png | jpeg | webp | tiff (default: same as the input)
  --quality N            1..100 for lossy formats (default 92)
  --model ID             restore model (default: the manifest's default; see \`revive models\`)
  --device DEV           auto | cpu | cuda | dml (default auto; falls back to the CPU, saying why)
  --strength S           0..1, how much of the restoration to keep over the input (default 1)
  --tone T               0..1, strength of the colour & fading correction, done first (default 1; 0 = off)
  --tone-mode M          auto | neutral | keep: black-and-white and toned prints stay so (auto), are made
                         neutral grey (neutral), or every photo keeps its colours and gets levels only (keep)
  --tile N               tile size in pixels (default: the model's suggestion)
  --threads N            CPU threads for inference (default: all cores)
  --json                 one JSON object per file on stdout, then {"summary": ...}
  -h, --help             this help

Exit status: 0 all done, 1 some files failed (the others are still done), 2 usage error, 130 cancelled.
`;

function numberOpt(v: string | undefined, name: string, lo: number, hi: number, int: boolean): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < lo || n > hi || (int && !Number.isInteger(n))) {
    throw new UsageError(`--${name} must be ${int ? 'an integer' : 'a number'} from ${lo} to ${hi}, got "${v}"`);
  }
  return n;
}

export interface RestoreArgs {
  inputs: string[];
  outDir: string;
  settings: RestoreSettings;
  json: boolean;
  threads: number;
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
      tone: { type: 'string' },
      'tone-mode': { type: 'string' },
      tile: { type: 'string' },
      threads: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  if (!positionals.length) throw new UsageError('give at least one photo or folder to restore');
  if (!values.out) throw new UsageError('--out DIR is required');
  const format = (values.format ?? 'same') as OutputFormat;
  if (!OUTPUT_FORMATS.includes(format)) throw new UsageError(`--format must be one of ${OUTPUT_FORMATS.join(', ')}`);
  const device = (values.device ?? 'auto') as Device;
  if (!DEVICES.includes(device)) throw new UsageError(`--device must be one of ${DEVICES.join(', ')}`);
  const tile = numberOpt(values.tile, 'tile', 16, 16384, true);
  const toneMode = (values['tone-mode'] ?? 'auto') as ToneMode;
  if (!TONE_MODES.includes(toneMode)) throw new UsageError(`--tone-mode must be one of ${TONE_MODES.join(', ')}`);
  return {
    inputs: positionals.map((p) => path.resolve(cwd, p)),
    outDir: path.resolve(cwd, values.out),
    settings: {
      modelId: values.model || undefined,
      device,
      strength: numberOpt(values.strength, 'strength', 0, 1, false) ?? 1,
      tile,
      format,
      quality: numberOpt(values.quality, 'quality', 1, 100, true) ?? 92,
      stages: { tone: { strength: numberOpt(values.tone, 'tone', 0, 1, false) ?? 1, mode: toneMode } },
    },
    json: values.json ?? false,
    threads: numberOpt(values.threads, 'threads', 1, 1024, true) ?? 0,
  };
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
  switch (r.status) {
    case 'ok':
      return `ok       ${r.input} -> ${r.output} (${formatMs(r.ms)})\n`;
    case 'skipped':
      return `skipped  ${r.input} (${r.output} exists)\n`;
    case 'cancelled':
      return `cancelled ${r.input}\n`;
    default:
      return `error    ${r.input}: ${r.error ?? 'failed'}\n`;
  }
}

export async function run(args: string[], io: CliIO): Promise<number> {
  const a = parseRestoreArgs(args, io.cwd);
  const modelsDir = findModelsDir(undefined, io.env);
  const sessions = new SessionCache({ threads: a.threads });
  const bar = new ProgressBar(io, io.errIsTTY && !a.json);
  let files: { input: string; output: string }[] = [];
  let current = '';
  let done = 0;
  let etaMs: number | null = null;

  const onEvent = (e: JobEvent) => {
    switch (e.type) {
      case 'start':
        files = e.files;
        break;
      case 'provider':
        bar.clear();
        io.err(`revive: ${describeReport(e.report)}\n`);
        break;
      case 'file-start':
        current = path.basename(e.input);
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
              ...(r.info?.tone ? { tone: toneLine(r.info.tone as unknown as ToneInfo) } : {}),
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
  try {
    summary = await runRestoreJob(
      { inputs: a.inputs, outDir: a.outDir, settings: a.settings },
      { onEvent, signal: io.signal, sessions, modelsDir },
    );
  } finally {
    await sessions.dispose();
  }
  if (a.json) io.out(JSON.stringify({ summary }) + '\n');
  else {
    const parts = [`${summary.ok} restored`];
    if (summary.skipped) parts.push(`${summary.skipped} skipped (already there)`);
    if (summary.failed) parts.push(`${summary.failed} failed`);
    if (summary.cancelled) parts.push(`${summary.cancelled} cancelled`);
    io.err(`revive: ${parts.join(', ')} of ${summary.total} in ${formatMs(summary.ms)}; output in ${a.outDir}\n`);
  }
  if (files.length === 0) {
    io.err(`revive: no photos found in ${a.inputs.join(', ')}\n`);
    return 1;
  }
  if (summary.failed) return 1;
  if (summary.cancelled) return 130;
  return 0;
}
