// The built `revive` (out/cli/revive.js as `npm run build:cli` makes it), run as a child process.
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crops, FIXTURES, rmrf, tmpDir } from '../unit/restore-helpers';
import { spawn } from 'node:child_process';
import { buildCli, ROOT, runNode } from './cli-helpers';

const tmp = tmpDir('cli-build');
let cli: string;
let photos: string;
const env = { REVIVE_MODELS_DIR: FIXTURES };

beforeAll(async () => {
  cli = await buildCli(path.join(tmp, 'out'));
  photos = path.join(tmp, 'photos');
  fs.mkdirSync(path.join(photos, 'nested'), { recursive: true });
  const [a, b, c] = crops(3);
  await sharp(a).extract({ left: 0, top: 0, width: 160, height: 120 }).png().toFile(path.join(photos, 'a.png'));
  await sharp(b).extract({ left: 0, top: 0, width: 120, height: 160 }).jpeg({ quality: 92 }).toFile(path.join(photos, 'nested', 'b.jpg'));
  await sharp(c).extract({ left: 0, top: 0, width: 100, height: 100 }).webp().toFile(path.join(photos, 'c.webp'));
  // a corrupt photo among the good ones: a PNG cut in half
  const png = fs.readFileSync(path.join(photos, 'a.png'));
  fs.writeFileSync(path.join(photos, 'nested', 'torn.png'), png.subarray(0, png.length >> 1));
}, 120_000);
afterAll(() => rmrf(tmp));

describe('built CLI bundle', () => {
  it('is one executable CommonJS file with a node shebang that never loads electron', () => {
    const src = fs.readFileSync(cli, 'utf8');
    expect(src.startsWith('#!/usr/bin/env node\n')).toBe(true);
    expect(fs.statSync(cli).mode & 0o111).not.toBe(0);
    expect(src).not.toMatch(/require\(["']electron["']\)/);
    expect(src).toMatch(/require\(["']onnxruntime-node["']\)/); // node_modules stay external
    expect(src).toMatch(/require\(["']sharp["']\)/);
  });

  it('--help exits 0; a usage error exits 2 with the usage', async () => {
    const h = await runNode([cli, '--help']);
    expect(h.code).toBe(0);
    expect(h.stdout).toContain('usage: revive <command>');
    const u = await runNode([cli, 'restore', photos]);
    expect(u.code).toBe(2);
    expect(u.stderr).toContain('--out DIR is required');
    expect(u.stderr).toContain('usage: revive restore');
  });

  it('restores a folder with one corrupt file: every other photo done, the bad one reported, exit 1', async () => {
    const out = path.join(tmp, 'restored');
    const r = await runNode([cli, 'restore', photos, '--out', out, '--json'], { env });
    expect(r.code).toBe(1);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    const files = lines.slice(0, -1);
    const byName = Object.fromEntries(files.map((l) => [path.relative(photos, l.input), l]));
    expect(Object.keys(byName).sort()).toEqual(['a.png', 'c.webp', path.join('nested', 'b.jpg'), path.join('nested', 'torn.png')].sort());
    expect(byName[path.join('nested', 'torn.png')].status).toBe('error');
    expect(byName[path.join('nested', 'torn.png')].error).toBeTruthy();
    for (const k of ['a.png', 'c.webp', path.join('nested', 'b.jpg')]) {
      expect(byName[k].status).toBe('ok');
      const meta = await sharp(byName[k].output).metadata();
      const src = await sharp(byName[k].input).metadata();
      expect([meta.width, meta.height, meta.format]).toEqual([src.width, src.height, src.format]);
    }
    expect(lines[lines.length - 1].summary).toMatchObject({ total: 4, ok: 3, failed: 1 });
    expect(r.stderr).toMatch(/using CPU/);
    // nothing but the three results was written (no temp files)
    const written = (fs.readdirSync(out, { recursive: true }) as string[])
      .filter((f) => fs.statSync(path.join(out, f)).isFile() && (!f.split(path.sep).includes('.revive') || f.includes('.revive-tmp-')))
      .sort();
    expect(written).toEqual(['a.png', 'c.webp', path.join('nested', 'b.jpg')].sort());
  });

  it('models: lists the fixture models, their checksums and the providers', async () => {
    const r = await runNode([cli, 'models'], { env });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/restore-fixture +restore .* sha256 ok/);
    expect(r.stdout).toMatch(/cpu +available/);
  });

  it('Ctrl-C (SIGINT) cancels: the photo in progress is dropped, no partial file is left, exit 130', async () => {
    const dir = path.join(tmp, 'sigint');
    fs.mkdirSync(dir, { recursive: true });
    await sharp(path.join(photos, 'a.png')).toFile(path.join(dir, '1-small.png'));
    // a 6 MP photo in 32 px tiles: long enough to be interrupted in the middle
    await sharp(crops(1)[0]).resize(3000, 2000).jpeg().toFile(path.join(dir, '2-big.jpg'));
    const out = path.join(tmp, 'sigint-out');
    const child = spawn(process.execPath, [cli, 'restore', dir, '--out', out, '--json', '--tile', '32'], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const code = await new Promise<number | null>((resolve) => {
      child.stdout.on('data', (d) => {
        const first = !stdout;
        stdout += d;
        if (first) setTimeout(() => child.kill('SIGINT'), 300); // the small one is done, the big one is running
      });
      child.on('close', resolve);
    });
    expect(code).toBe(130);
    const lines = stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.status).slice(0, 2)).toEqual(['ok', 'cancelled']);
    expect(lines[2].summary).toMatchObject({ ok: 1, cancelled: 1 });
    expect(stderr).toMatch(/Cancelling/);
    expect(fs.readdirSync(out).sort()).toEqual(['.revive', '1-small.png']); // no partial or temp file (.revive: the ledger)
  });
});
