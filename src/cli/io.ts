// What a CLI command gets to talk to the world, so the same code runs from the terminal and in tests.
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
 * written as escapes (\n, \t, \x1b...), so a name cannot move the cursor, recolour or rewrite the screen.
 */
export function printable(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => {
    const named: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };
    return named[c] ?? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`;
  });
}
