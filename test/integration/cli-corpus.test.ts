// A corpus of hostile names and a run of bad luck, through the built CLI: names near the 255-byte limit (CJK, emoji),
// control characters, Latin-1 bytes (in a folder and given on the command line), photos that share a stem; resume
// after the photo or the settings changed; kill -9 and SIGTERM in the middle of a write; two processes at once into
// one folder. Every photo ends up restored exactly once, under a name that says which photo it is.
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, rmrf, ROOT as ROOT_DIR, tmpDir } from '../unit/restore-helpers';
import { buildCli, ROOT, runNode } from './cli-helpers';

const tmp = tmpDir('cli-corpus');
const env = { REVIVE_MODELS_DIR: FIXTURES };
const SAMPLE = path.join(ROOT_DIR, 'samples', 'girl-in-garden.jpg');
const linux = process.platform === 'linux';
let cli: string;

beforeAll(async () => {
  cli = await buildCli(path.join(tmp, 'out'));
}, 120_000);
afterAll(() => rmrf(tmp));

const CJK = '写真'.repeat(40); // 240 bytes
const EMOJI = '😀'.repeat(61); // 244 bytes

/** A small real photo, different for each n, in the format its name asks for. */
async function photo(file: string | Buffer, n: number, size = [64, 48]): Promise<void> {
  const ext = path.extname(file.toString('latin1')).toLowerCase();
  let s = sharp(SAMPLE).extract({ left: 17 * n, top: 11 * n, width: 160, height: 120 }).resize(size[0], size[1], { fit: 'fill' });
  s = ext === '.png' ? s.png() : ext === '.gif' ? s.gif() : ext === '.tif' ? s.tiff() : s.jpeg();
  fs.writeFileSync(file, await s.toBuffer());
}

/** The files of an output folder, by name (its ledger left out). */
const outputs = (dir: string) => fs.readdirSync(dir).filter((f) => f !== '.revive').sort();
const claims = (dir: string) => fs.readdirSync(path.join(dir, '.revive', 'claims'));
const temps = (dir: string) => (fs.readdirSync(dir, { recursive: true }) as string[]).filter((f) => f.includes('.revive-tmp-'));
const jsonLines = (s: string) => s.trim().split('\n').map((l) => JSON.parse(l));

function start(args: string[]): { child: ChildProcess; done: Promise<{ code: number | null; sig: string | null; stdout: string; stderr: string }> } {
  const child = spawn(process.execPath, [cli, 'restore', ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const done = new Promise<{ code: number | null; sig: string | null; stdout: string; stderr: string }>((resolve) =>
    child.on('close', (code, sig) => resolve({ code, sig, stdout, stderr })),
  );
  return { child, done };
}

/** Sends `signal` the moment an output's temp file shows in `out` (the photo is being written), once. */
function signalMidWrite(child: ChildProcess, out: string, signal: NodeJS.Signals): Promise<boolean> {
  return new Promise((resolve) => {
    const t = setInterval(() => {
      let seen = false;
      try {
        seen = fs.readdirSync(out).some((f) => f.startsWith('.') && f.includes('.revive-tmp-'));
      } catch {
        // not made yet
      }
      if (seen || child.exitCode !== null) {
        clearInterval(t);
        if (seen) child.kill(signal);
        resolve(seen);
      }
    }, 1);
  });
}

describe('a corpus of hostile names', () => {
  let dir: string;
  const names = [
    `${CJK}.jpg`, // 244 bytes
    `${CJK}.png`, // shares the 240-byte stem: the bracketed extension must still fit
    `${EMOJI}.png`, // 248 bytes
    'bell\u0007\u001b[2Jclear.png',
    'new\nline.jpg',
    'a.jpg',
    'a.png',
    'a.tif',
    'b.gif',
    'b.png',
    'c.jpeg',
    'c.jpg',
  ];
  beforeAll(async () => {
    dir = path.join(tmp, 'corpus');
    fs.mkdirSync(dir, { recursive: true });
    for (const [i, n] of names.entries()) await photo(path.join(dir, n), i);
    if (linux) {
      await photo(Buffer.concat([Buffer.from(`${dir}/caf`), Buffer.from([0xe9]), Buffer.from('.png')]), 20);
      await photo(Buffer.concat([Buffer.from(`${dir}/na`), Buffer.from([0xef]), Buffer.from('ve.jpg')]), 21);
    }
  });

  it('restores every photo under a name that says which it is, the same names on every run', async () => {
    const out = path.join(tmp, 'corpus-out');
    const r = await runNode([cli, 'restore', dir, '--out', out, '--json'], { env });
    expect(r.stderr).not.toMatch(/error/i);
    expect(r.code).toBe(0);
    const lines = jsonLines(r.stdout);
    const total = names.length + (linux ? 2 : 0);
    expect(lines.at(-1).summary).toMatchObject({ total, ok: total, failed: 0 });
    const got = outputs(out);
    expect(got).toHaveLength(total);
    for (const n of got) expect(Buffer.byteLength(n)).toBeLessThanOrEqual(255);
    expect(got).toEqual(expect.arrayContaining(['a (jpg).jpg', 'a (png).png', 'a (tif).tif', 'b (gif).png', 'b (png).png', 'c (jpeg).jpg', 'c (jpg).jpg']));
    expect(got.filter((n) => n.startsWith('写真') && n.endsWith(' (jpg).jpg'))).toHaveLength(1);
    expect(got.filter((n) => n.startsWith('写真') && n.endsWith(' (png).png'))).toHaveLength(1);
    expect(got).toContain(`${EMOJI}.png`);
    expect(got).toContain('new\nline.jpg');
    if (linux) expect(got).toEqual(expect.arrayContaining(['café.png', 'naïve.jpg']));
    for (const n of got) expect((await sharp(path.join(out, n)).metadata()).width).toBe(64);
    // the JSON lines carry the exact names (Latin-1 bytes as \udcXX escapes)
    if (linux) expect(lines.map((l) => l.input)).toContain(`${dir}/caf\udce9.png`);

    // text output: names escaped, nothing raw reaches the terminal; the second run skips every photo, same outputs
    const again = await runNode([cli, 'restore', dir, '--out', out], { env });
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('bell\\x07\\x1b[2Jclear.png');
    expect(again.stdout).toContain('new\\nline.jpg');
    if (linux) expect(again.stdout).toContain('caf\\xe9.png');
    expect(again.stdout + again.stderr).not.toMatch(/[\u0007\u001b]/);
    expect(again.stderr).toMatch(new RegExp(`0 restored, ${total} skipped \\(already restored\\) of ${total}`));
    expect(outputs(out)).toEqual(got);
  }, 180_000);

  it.runIf(linux)('restores a Latin-1 name given on the command line, by its exact bytes', async () => {
    const out = path.join(tmp, 'latin1-arg-out');
    const r = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(
        'bash',
        ['-c', 'exec "$0" "$1" restore "$(printf "%s/caf\\351.png" "$2")" --out "$3" --json', process.execPath, cli, dir, out],
        { cwd: ROOT, env: { ...process.env, ...env } },
      );
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
    expect(r.stderr).not.toMatch(/does not exist|No such/);
    expect(r.code).toBe(0);
    expect(jsonLines(r.stdout)[0]).toMatchObject({ status: 'ok', input: `${dir}/caf\udce9.png`, output: path.join(out, 'café.png') });
  });
});

describe('resume after changes', () => {
  it('the same photos are skipped; an edited photo, or other settings, restored again; replace writes over its own', async () => {
    const dir = path.join(tmp, 'changes');
    const out = path.join(tmp, 'changes-out');
    fs.mkdirSync(dir, { recursive: true });
    for (const n of ['p.jpg', 'q.png', 'r.png']) await photo(path.join(dir, n), n.charCodeAt(0) - 100);
    const first = await runNode([cli, 'restore', dir, '--out', out, '--json'], { env });
    expect(jsonLines(first.stdout).at(-1).summary).toMatchObject({ ok: 3 });

    await photo(path.join(dir, 'q.png'), 9); // q edited
    const edited = await runNode([cli, 'restore', dir, '--out', out, '--json'], { env });
    expect(edited.code).toBe(0);
    const e = jsonLines(edited.stdout);
    expect(e.slice(0, 3).map((l) => [path.basename(l.input), l.status, path.basename(l.output)])).toEqual([
      ['p.jpg', 'skipped', 'p.jpg'],
      ['q.png', 'ok', 'q-2.png'],
      ['r.png', 'skipped', 'r.png'],
    ]);

    const stronger = await runNode([cli, 'restore', path.join(dir, 'p.jpg'), '--out', out, '--json', '--strength', '0.5', '--quality', '80'], { env });
    expect(jsonLines(stronger.stdout)[0]).toMatchObject({ status: 'ok', output: path.join(out, 'p-2.jpg') });
    // quality means nothing to PNG: the same settings for r.png
    const q = await runNode([cli, 'restore', path.join(dir, 'r.png'), '--out', out, '--json', '--quality', '50'], { env });
    expect(jsonLines(q.stdout)[0]).toMatchObject({ status: 'skipped', identical: true });

    const replaced = await runNode([cli, 'restore', dir, '--out', out, '--json', '--existing', 'replace', '--strength', '0.7'], { env });
    expect(replaced.code).toBe(0);
    const rl = jsonLines(replaced.stdout);
    for (const l of rl.slice(0, 3)) expect(l).toMatchObject({ status: 'ok', replaced: true });
    const text = await runNode([cli, 'restore', dir, '--out', out, '--existing', 'keep-both'], { env });
    expect(text.stdout).toMatch(/^ok {7}.*p\.jpg -> .*p-3\.jpg/m);
    expect(outputs(out)).toEqual(['p-2.jpg', 'p-3.jpg', 'p.jpg', 'q-2.png', 'q-3.png', 'q.png', 'r-2.png', 'r.png']);
  }, 120_000);
});

describe('killed in the middle of a write', () => {
  let dir: string;
  beforeAll(async () => {
    dir = path.join(tmp, 'big');
    fs.mkdirSync(dir, { recursive: true });
    await photo(path.join(dir, '1-small.png'), 1);
    await photo(path.join(dir, '2-big.png'), 2, [2400, 1800]);
    // restored while 2-big.png is written: still restoring when the signal comes
    await photo(path.join(dir, '3-slow.jpg'), 3, [1600, 1200]);
  });

  it('kill -9: the next run removes the temp, takes over the claim and writes each photo once', async () => {
    const out = path.join(tmp, 'kill9-out');
    const run = start([dir, '--out', out, '--json', '--tile', '64']);
    expect(await signalMidWrite(run.child, out, 'SIGKILL')).toBe(true);
    expect((await run.done).sig).toBe('SIGKILL');
    // what it left: the temp of the write and its claim on the photo
    expect(temps(out).length).toBeGreaterThan(0);
    expect(claims(out).length).toBeGreaterThan(0);
    const r = await runNode([cli, 'restore', dir, '--out', out, '--json'], { env });
    expect(r.code).toBe(0);
    expect(temps(out)).toEqual([]);
    expect(claims(out)).toEqual([]);
    expect(outputs(out)).toEqual(['1-small.png', '2-big.png', '3-slow.jpg']);
    expect((await sharp(path.join(out, '2-big.png')).metadata()).width).toBe(2400);
    const again = await runNode([cli, 'restore', dir, '--out', out, '--json'], { env });
    expect(jsonLines(again.stdout).at(-1).summary).toMatchObject({ skipped: 3, ok: 0 });
  }, 180_000);

  it('SIGTERM: the write in progress finishes whole, the rest is cancelled, exit 130, nothing half-written or claimed', async () => {
    const out = path.join(tmp, 'term-out');
    const run = start([dir, '--out', out, '--json', '--tile', '64']);
    expect(await signalMidWrite(run.child, out, 'SIGTERM')).toBe(true);
    const r = await run.done;
    expect(r.code).toBe(130);
    expect(r.stderr).toMatch(/Cancelling/);
    expect(temps(out)).toEqual([]);
    expect(claims(out)).toEqual([]);
    const lines = jsonLines(r.stdout);
    const written = lines.filter((l) => l.status === 'ok').map((l) => path.basename(l.output));
    expect(lines.some((l) => l.status === 'cancelled')).toBe(true);
    expect(outputs(out)).toEqual(written.sort());
    for (const n of written) await sharp(path.join(out, n)).raw().toBuffer(); // whole files: they decode
    const rest = await runNode([cli, 'restore', dir, '--out', out, '--json'], { env });
    expect(rest.code).toBe(0);
    expect(outputs(out)).toEqual(['1-small.png', '2-big.png', '3-slow.jpg']);
  }, 180_000);
});

describe('two processes at once into one folder', () => {
  it('each photo is written once and both runs exit 0', async () => {
    const dir = path.join(tmp, 'two');
    fs.mkdirSync(dir, { recursive: true });
    for (let i = 0; i < 8; i++) await photo(path.join(dir, `p${i}.png`), i, [320, 240]);
    const out = path.join(tmp, 'two-out');
    const a = start([dir, '--out', out, '--json', '--tile', '64']);
    const b = start([dir, '--out', out, '--json', '--tile', '64']);
    const [ra, rb] = await Promise.all([a.done, b.done]);
    expect([ra.code, rb.code]).toEqual([0, 0]);
    expect(outputs(out)).toEqual([0, 1, 2, 3, 4, 5, 6, 7].map((i) => `p${i}.png`));
    const la = jsonLines(ra.stdout).slice(0, -1);
    const lb = jsonLines(rb.stdout).slice(0, -1);
    for (let i = 0; i < 8; i++) {
      const mine = [...la, ...lb].filter((l) => path.basename(l.input) === `p${i}.png`);
      expect(mine.map((l) => l.status).sort()).toEqual(['ok', 'skipped']);
      for (const l of mine) expect(l.output).toBe(path.join(out, `p${i}.png`));
    }
    // both did some of the work
    expect(la.some((l) => l.status === 'ok') && lb.some((l) => l.status === 'ok')).toBe(true);
    expect(claims(out)).toEqual([]);
    expect(temps(out)).toEqual([]);
  }, 180_000);
});
