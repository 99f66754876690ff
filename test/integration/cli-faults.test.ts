// The built CLI under faults, with the repo's own sample photos and the fixture models: SIGTERM and kill -9 in the
// middle of a run leave no partial or temp file behind (kill -9's temp is cleaned by the next run), an interrupt
// exits 130 even after a failed file, a reader that goes away (| head -1) stops it as cleanly, and names with control
// characters are printed escaped.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempName } from '../../src/core/image/encode';
import { FIXTURES, rmrf, ROOT as ROOT_DIR, tmpDir } from '../unit/restore-helpers';
import { buildCli, ROOT, runNode } from './cli-helpers';

const tmp = tmpDir('cli-faults');
const env = { REVIVE_MODELS_DIR: FIXTURES };
const SAMPLE = path.join(ROOT_DIR, 'samples', 'boy-with-glasses.jpg');
let cli: string;

beforeAll(async () => {
  cli = await buildCli(path.join(tmp, 'out'));
}, 120_000);
afterAll(() => rmrf(tmp));

const temps = (dir: string) => (fs.readdirSync(dir, { recursive: true }) as string[]).filter((f) => f.includes('.revive-tmp-'));

/** Runs `revive restore` and sends `signal` once the first JSON line (a finished file) is out, after `delayMs`. */
function runAndSignal(args: string[], signal: NodeJS.Signals, delayMs: number): Promise<{ code: number | null; sig: string | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, 'restore', ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.stdout.on('data', (d) => {
      const first = !stdout;
      stdout += d;
      if (first) setTimeout(() => child.kill(signal), delayMs);
    });
    child.on('close', (code, sig) => resolve({ code, sig, stdout, stderr }));
  });
}

async function bigFolder(name: string, first: (dir: string) => Promise<void>, size = [1500, 1000]): Promise<string> {
  const dir = path.join(tmp, name);
  fs.mkdirSync(dir, { recursive: true });
  await first(dir);
  // a photo of 1.5 MP in 32 px tiles: long enough to be interrupted in the middle
  await sharp(SAMPLE).resize(size[0], size[1], { fit: 'fill' }).jpeg().toFile(path.join(dir, '2-big.jpg'));
  return dir;
}

describe('built CLI under faults', () => {
  it('SIGTERM cancels like Ctrl-C: exit 130, the finished photo kept, no partial or temp file', async () => {
    const dir = await bigFolder('term', (d) => sharp(SAMPLE).resize(160).png().toFile(path.join(d, '1-small.png')).then(() => undefined));
    const out = path.join(tmp, 'term-out');
    const r = await runAndSignal([dir, '--out', out, '--json', '--tile', '32'], 'SIGTERM', 300);
    expect(r.code).toBe(130);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.status).slice(0, 2)).toEqual(['ok', 'cancelled']);
    expect(r.stderr).toMatch(/Cancelling/);
    expect(fs.readdirSync(out).sort()).toEqual(['.revive', '1-small.png']);
    expect(fs.readdirSync(path.join(out, '.revive', 'claims'))).toEqual([]); // claims let go
  });

  it('stops cleanly when the reader of its output goes away (| head -1): no crash, no partial or temp file', async () => {
    const dir = await bigFolder('pipe', (d) => sharp(SAMPLE).resize(160).png().toFile(path.join(d, '1-small.png')).then(() => undefined));
    fs.copyFileSync(path.join(dir, '2-big.jpg'), path.join(dir, '3-big.jpg'));
    const out = path.join(tmp, 'pipe-out');
    const r = await new Promise<{ code: number | null; stderr: string; first: string }>((resolve) => {
      const child = spawn(process.execPath, [cli, 'restore', dir, '--out', out, '--json', '--tile', '32'], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      let first = '';
      child.stderr.on('data', (d) => (stderr += d));
      child.stdout.once('data', (d) => {
        first = String(d);
        child.stdout.destroy(); // the reader is gone: the next line written gets EPIPE
      });
      child.on('close', (code) => resolve({ code, stderr, first }));
    });
    expect(JSON.parse(r.first.split('\n')[0]).status).toBe('ok');
    expect(r.stderr).not.toMatch(/EPIPE|Unhandled|at .*revive\.js/);
    // the closed pipe shows at the next line written, when the second photo is done: the third is cancelled
    expect(r.code).toBe(130);
    expect(temps(out)).toEqual([]);
    expect(fs.readdirSync(out).filter((f) => !f.startsWith('.')).sort()).toEqual(['1-small.png', '2-big.jpg']);
    expect(fs.readdirSync(path.join(out, '.revive', 'claims'))).toEqual([]); // claims let go
  });

  it('an interrupt exits 130 even when a file had already failed', async () => {
    const dir = await bigFolder('fail-then-int', async (d) => fs.writeFileSync(path.join(d, '1-torn.png'), Buffer.from('not a png at all')));
    const out = path.join(tmp, 'fail-then-int-out');
    const r = await runAndSignal([dir, '--out', out, '--json', '--tile', '32'], 'SIGINT', 300);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines[0].status).toBe('error');
    expect(lines[lines.length - 1].summary).toMatchObject({ failed: 1, cancelled: 1 });
    expect(r.code).toBe(130);
  });

  it('kill -9 mid-run: whatever temp it left is removed by the next run into that folder, which finishes the job', async () => {
    // the full 1.5 MP photo (a smaller one finished inside the delay on an idle machine, and was never killed)
    const dir = await bigFolder('kill9', (d) => sharp(SAMPLE).resize(160).png().toFile(path.join(d, '1-small.png')).then(() => undefined));
    const out = path.join(tmp, 'kill9-out');
    fs.mkdirSync(out);
    // the temp a writer killed in the middle of a write leaves (named by a process that has exited since)
    const dead = Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);
    const orphan = path.join(out, tempName('2-big.jpg', dead));
    fs.writeFileSync(orphan, '');
    expect(fs.existsSync(orphan)).toBe(true);
    const r1 = await runAndSignal([dir, '--out', out, '--json', '--tile', '32'], 'SIGKILL', 100);
    expect(r1.sig).toBe('SIGKILL');
    const r2 = await runNode([cli, 'restore', dir, '--out', out, '--json', '--tile', '512'], { env });
    expect(r2.code).toBe(0);
    expect(temps(out)).toEqual([]);
    expect(fs.readdirSync(out).sort()).toEqual(['.revive', '1-small.png', '2-big.jpg']);
  }, 180_000);

  it('prints names with control characters escaped in its text output', async () => {
    const dir = path.join(tmp, 'names');
    fs.mkdirSync(dir);
    const evil = 'evil\u001b[31mred\u0007.png';
    await sharp(SAMPLE).resize(64).png().toFile(path.join(dir, evil));
    const r = await runNode([cli, 'restore', dir, '--out', path.join(tmp, 'names-out')], { env });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('evil\\x1b[31mred\\x07.png');
    expect(r.stdout + r.stderr).not.toMatch(/\u001b\[31m/);
  });
});
