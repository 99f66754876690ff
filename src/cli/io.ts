// What a CLI command gets to talk to the world, so the same code runs from the terminal and in tests.
import { readFileSync } from 'node:fs';
import { nameFromBytes } from '../core/fs-paths';
import type { Range } from '../shared/limits';

export interface CliIO {
  out(s: string): void; // stdout
  err(s: string): void; // stderr
  /** stderr is a terminal: draw a progress bar. */
  errIsTTY: boolean;
  columns: number;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Aborted on Ctrl-C. */
  signal?: AbortSignal;
}

/** A mistake in how the command was called: printed with the usage, exit status 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface CommandModule {
  usage: string;
  run(args: string[], io: CliIO): Promise<number>;
}

export interface CommandEntry {
  name: string;
  summary: string;
  load: () => Promise<CommandModule>;
}

export function processIO(signal?: AbortSignal): CliIO {
  return {
    out: (s) => void process.stdout.write(s),
    err: (s) => void process.stderr.write(s),
    errIsTTY: !!process.stderr.isTTY,
    columns: process.stderr.columns || 80,
    env: process.env,
    cwd: process.cwd(),
    signal,
  };
}

export function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  return `${m}:${String(Math.round(s - m * 60)).padStart(2, '0')} min`;
}

/** A numeric option checked against one of the shared RANGES (src/shared/limits); undefined when not given. */
export function numberOpt(v: string | undefined, name: string, r: Range): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < r.min || n > r.max || (r.int && !Number.isInteger(n))) {
    throw new UsageError(`--${name} must be ${r.int ? 'an integer' : 'a number'} from ${r.min} to ${r.max}, got "${v}"`);
  }
  return n;
}

/** "1..100": how the usage texts write a range. */
export const span = (r: Range): string => `${r.min}..${r.max}`;

/**
 * Text safe to print to a terminal: control characters (C0, DEL, C1) that a file name or an error may carry are
 * written as escapes (\n, \t, \x1b...), so a name cannot move the cursor, recolour or rewrite the screen; the bytes
 * of a name that is not UTF-8 (kept as U+DC80..U+DCFF, src/core/fs-paths.ts) are written as \xe9 and the like.
 */
export function printable(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u001f\u007f-\u009f]|(?<![\uD800-\uDBFF])[\uDC80-\uDCFF]/g, (c) => {
    const named: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };
    const code = c.charCodeAt(0);
    return named[c] ?? `\\x${(code >= 0xdc00 ? code - 0xdc00 : code).toString(16).padStart(2, '0')}`;
  });
}

/**
 * The command's arguments as given. Node decodes argv as UTF-8 and turns bytes that are not (a Latin-1 file name)
 * into U+FFFD, losing them; on Linux the exact bytes are in /proc/self/cmdline, so such an argument is read from
 * there instead (its bytes kept as src/core/fs-paths.ts does). Elsewhere, or when the two do not line up, argv as is.
 */
export function commandArgs(argv: string[] = process.argv, cmdline = () => readFileSync('/proc/self/cmdline')): string[] {
  const args = argv.slice(2);
  if (process.platform !== 'linux' || !args.some((a) => a.includes('\uFFFD'))) return args;
  try {
    const raw = cmdline();
    const parts: Buffer[] = [];
    for (let i = 0, start = 0; i < raw.length; i++) {
      if (raw[i] === 0) {
        parts.push(raw.subarray(start, i));
        start = i + 1;
      }
    }
    const tail = parts.slice(parts.length - args.length);
    if (tail.length !== args.length || tail.some((b, i) => b.toString('utf8') !== args[i])) return args;
    return tail.map((b, i) => (args[i].includes('\uFFFD') ? nameFromBytes(b) : args[i]));
  } catch {
    return args;
  }
}
