// Builds the real CLI bundle (vite.cli.config.ts) into a private folder for the integration tests, and runs it in a
// child process the way a user would: `node revive.js ...`.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { build } from 'vite';

export const ROOT = path.resolve(__dirname, '../..');

export async function buildCli(outDir: string): Promise<string> {
  await build({ configFile: path.join(ROOT, 'vite.cli.config.ts'), root: ROOT, logLevel: 'silent', build: { outDir } });
  return path.join(outDir, 'revive.js');
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

export function runNode(args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const child = spawn(process.execPath, args, {
      cwd: opts.cwd ?? ROOT,
      env: { ...process.env, ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - t0 });
    });
  });
}

/** Runs `revive ARGV` in this process (the same runCli the bundle runs), capturing stdout and stderr. */
export async function runInProcess(argv: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<{ code: number; out: string; err: string }> {
  const { runCli } = await import('../../src/cli/main');
  let out = '';
  let err = '';
  const code = await runCli(argv, { out: (s) => void (out += s), err: (s) => void (err += s), errIsTTY: false, columns: 100, env, cwd });
  return { code, out, err };
}
