import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMANDS } from '../../src/cli/commands';
import type { CliIO } from '../../src/cli/io';
import { runCli } from '../../src/cli/main';
import { parseRestoreArgs } from '../../src/cli/restore';
import { availableProviders } from '../../src/core/inference/session';
import { inShard } from '../../src/core/jobs/inputs';
import { crops, copyFixtureModels, FIXTURES, ROOT, rmrf, tmpDir } from './restore-helpers';

const tmp = tmpDir('cli');
afterAll(() => rmrf(tmp));

interface Captured {
  code: number;
  out: string;
  err: string;
}

async function cli(argv: string[], opts: { tty?: boolean; env?: Record<string, string>; signal?: AbortSignal } = {}): Promise<Captured> {
  let out = '';
  let err = '';
  const io: CliIO = {
    out: (s) => void (out += s),
    err: (s) => void (err += s),
    errIsTTY: opts.tty ?? false,
    columns: 100,
    env: { REVIVE_MODELS_DIR: FIXTURES, ...opts.env },
    cwd: tmp,
    signal: opts.signal,
  };
  const code = await runCli(argv, io);
  return { code, out, err };
}

let folder: string;
beforeAll(async () => {
  folder = path.join(tmp, 'box');
  fs.mkdirSync(path.join(folder, 'b'), { recursive: true });
  const [a, b] = crops(2);
  await sharp(a).extract({ left: 40, top: 40, width: 100, height: 70 }).png().toFile(path.join(folder, 'a.png'));
  await sharp(b).extract({ left: 0, top: 0, width: 90, height: 90 }).jpeg().toFile(path.join(folder, 'b', 'c.jpg'));
  fs.writeFileSync(path.join(folder, 'broken.jpg'), Buffer.from('definitely not a jpeg'));
});

describe('revive (dispatch)', () => {
  it('--help lists every command of the table and exits 0', async () => {
    const r = await cli(['--help']);
    expect(r.code).toBe(0);
    for (const c of COMMANDS) expect(r.out).toContain(c.name);
    expect(r.out).toMatch(/usage: revive <command>/);
  });

  it('no command, or an unknown one, is a usage error (2) with the usage', async () => {
    const none = await cli([]);
    expect(none.code).toBe(2);
    expect(none.err).toMatch(/usage: revive/);
    const bad = await cli(['frobnicate']);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/unknown command "frobnicate"/);
  });

  it('restore --help prints the restore usage', async () => {
    const r = await cli(['restore', '--help']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/usage: revive restore <files or folders\.\.\.> --out DIR/);
    expect(r.out).toContain('--device');
  });
});

describe('revive restore: usage errors exit 2', () => {
  const cases: [string[], RegExp][] = [
    [['restore', 'x.jpg'], /--out DIR is required/],
    [['restore', '--out', 'o'], /at least one photo or folder/],
    [['restore', 'x.jpg', '--out', 'o', '--format', 'bmp'], /--format must be one of/],
    [['restore', 'x.jpg', '--out', 'o', '--strength', '1.5'], /--strength must be a number from 0 to 1/],
    [['restore', 'x.jpg', '--out', 'o', '--quality', '0'], /--quality must be an integer from 1 to 100/],
    [['restore', 'x.jpg', '--out', 'o', '--device', 'tpu'], /--device must be one of auto, cpu, cuda, dml, webgpu/],
    [['restore', 'x.jpg', '--out', 'o', '--tile', 'big'], /--tile must be an integer/],
    [['restore', 'x.jpg', '--out', 'o', '--bogus'], /Unknown option '--bogus'/],
    [['restore', 'x.jpg', '--out', 'o', '--tone', '2'], /--tone must be a number from 0 to 1/],
    [['restore', 'x.jpg', '--out', 'o', '--tone', ''], /--tone must be a number from 0 to 1/],
    [['restore', 'x.jpg', '--out', 'o', '--tone-mode', 'sepia'], /--tone-mode must be one of auto, neutral, keep/],
    [['restore', 'x.jpg', '--out', 'o', '--existing', 'overwrite'], /--existing must be one of skip, replace, keep-both/],
    [['restore', 'x.jpg', '--out', 'o', '--shard', '4/4'], /--shard must be K\/N with 0 <= K < N/],
    [['restore', 'x.jpg', '--out', 'o', '--shard', '1'], /--shard must be K\/N/],
    [['restore', 'x.jpg', '--out', 'o', '--shard', '0/0'], /--shard must be K\/N/],
    [['restore', 'x.jpg', '--out', 'o', '--precision', 'fp16'], /--precision must be fast or exact/],
    [['restore', 'x.jpg', '--out', 'o', '--noise', '0.5', '--strength', '0.5'], /give --noise or --strength, not both/],
    [['restore', 'x.jpg', '--out', 'o', '--noise', '1.5'], /--noise must be a number from 0 to 1/],
  ];
  for (const [argv, msg] of cases) {
    it(argv.slice(1).join(' '), async () => {
      const r = await cli(argv);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(msg);
      expect(r.err).toContain('usage: revive restore');
    });
  }

  it('parses every option', () => {
    const a = parseRestoreArgs(
      ['p1', 'dir', '-o', 'out', '--format', 'webp', '--quality', '70', '--model', 'm', '--device', 'cpu', '--strength', '0.25', '--tile', '256', '--json', '--tone', '0.6', '--tone-mode', 'neutral', '--existing', 'keep-both', '--shard', '2/5', '--sensitivity', '0.7'],
      '/base',
    );
    expect(a).toEqual({
      inputs: ['/base/p1', '/base/dir'],
      outDir: '/base/out',
      settings: {
        modelId: 'm',
        device: 'cpu',
        strength: 0.25,
        tile: 256,
        format: 'webp',
        quality: 70,
        stages: { tone: { strength: 0.6, mode: 'neutral' }, scratches: { sensitivity: 0.7 } },
        existing: 'keep-both',
      },
      json: true,
      threads: 0,
      precision: 'fast',
      shard: { index: 2, count: 5 },
    });
    const b = parseRestoreArgs(['p', '-o', 'o', '--noise', '0.4', '--keep-grain', '--precision', 'exact'], '/b');
    expect(b.settings.strength).toBe(0.4);
    expect(b.settings.stages?.local).toEqual({ keepGrain: true });
    expect(b.precision).toBe('exact');
    expect(parseRestoreArgs(['p', '-o', 'o'], '/b').settings.stages?.local).toBeUndefined();
    expect(parseRestoreArgs(['p', '-o', 'o', '--noise-fixed'], '/b').settings.stages?.local).toEqual({ adapt: false });
    expect(parseRestoreArgs(['p', '-o', 'o', '--noise-fixed', '--keep-grain'], '/b').settings.stages?.local).toEqual({ keepGrain: true, adapt: false });
    expect(parseRestoreArgs(['p', '-o', 'o', '--network-tones'], '/b').settings.stages?.local).toEqual({ keepTones: false });
    expect(parseRestoreArgs(['p', '-o', 'o'], '/b')).toMatchObject({ settings: { existing: 'skip' }, shard: undefined });
  });

  it("docs/archive.md's job files give commands that parse, each worker its own share", () => {
    const doc = fs.readFileSync(path.join(ROOT, 'docs', 'archive.md'), 'utf8');
    const commands = [...doc.matchAll(/node out\/cli\/revive\.js restore ((?:[^\n]|\\\n|\n +--)+)/g)].map((m) =>
      m[1]
        .replace(/\\\n/g, ' ')
        .replace(/\$\{?(JOB_COMPLETION_INDEX|SLURM_ARRAY_TASK_ID)\}?/g, '7')
        .replace(/\$\{?SLURM_CPUS_PER_TASK\}?/g, '4')
        .replace(/"/g, '')
        .trim()
        .split(/\s+/),
    );
    expect(commands).toHaveLength(2);
    for (const argv of commands) {
      const a = parseRestoreArgs(argv, '/');
      expect(a.shard).toEqual({ index: 7, count: 64 });
      expect(a.outDir).toBe('/archive/restored');
    }
  });

  it.runIf(process.platform === 'linux')('an output folder whose name is not UTF-8 is refused (its outputs could not be named)', () => {
    expect(() => parseRestoreArgs(['p', '-o', '/tmp/caf\udce9'], '/b')).toThrow(/--out: the folder name \/tmp\/caf\\xe9 is not valid UTF-8/);
    expect(parseRestoreArgs(['/in/caf\udce9.jpg', '-o', '/tmp/o'], '/b').inputs).toEqual(['/in/caf\udce9.jpg']);
  });

  it('the colour & fading stage defaults to strength 0, mode auto; the scratch stage to its own defaults', () => {
    expect(parseRestoreArgs(['p', '-o', 'o'], '/b').settings.stages).toEqual({ tone: { strength: 0, mode: 'auto' }, scratches: {} });
    expect(parseRestoreArgs(['p', '-o', 'o', '--scratches', 'off'], '/b').settings.stages?.scratches).toEqual({ enabled: false });
    expect(parseRestoreArgs(['p', '-o', 'o', '--tone', '0'], '/b').settings.stages?.tone?.strength).toBe(0);
  });
});

describe('revive restore', () => {
  it('--json: one line per file, the corrupt one reported, a summary last, exit 1; the others are done', async () => {
    const out = path.join(tmp, 'o1');
    const r = await cli(['restore', folder, '--out', out, '--json', '--device', 'cpu']);
    expect(r.code).toBe(1);
    const lines = r.out.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(4);
    const files = lines.slice(0, 3);
    expect(files.map((l) => path.relative(folder, l.input))).toEqual(['a.png', path.join('b', 'c.jpg'), 'broken.jpg']);
    for (const l of files) expect(Object.keys(l).sort()).toEqual((l.status === 'error' ? ['error', 'input', 'ms', 'output', 'status'] : ['input', 'ms', 'output', 'status']));
    expect(files.map((l) => l.status)).toEqual(['ok', 'ok', 'error']);
    expect(files[2].error.length).toBeGreaterThan(5);
    expect(lines[3]).toEqual({ summary: expect.objectContaining({ total: 3, ok: 2, failed: 1, skipped: 0 }) });
    expect(fs.existsSync(path.join(out, 'a.png'))).toBe(true);
    expect(fs.existsSync(path.join(out, 'b', 'c.jpg'))).toBe(true);
    expect(fs.existsSync(path.join(out, 'broken.jpg'))).toBe(false);
    expect(r.err).toMatch(/revive: using CPU \(requested: cpu\)/);
  });

  it('all good: exit 0; rerun: skipped (resume), exit 0; plain output names each file', async () => {
    const out = path.join(tmp, 'o2');
    const good = [path.join(folder, 'a.png'), path.join(folder, 'b')];
    const r1 = await cli(['restore', ...good, '--out', out]);
    expect(r1.code).toBe(0);
    expect(r1.out).toMatch(/^ok {7}.*a\.png -> .*o2\/a\.png/m);
    expect(r1.out).toMatch(/^ok {7}.*c\.jpg -> .*o2\/c\.jpg/m); // a folder's files keep their place under it
    expect(r1.err).toMatch(/2 restored of 2/);
    expect(r1.err).not.toContain('\r'); // no progress bar when stderr is not a terminal
    const r2 = await cli(['restore', ...good, '--out', out, '--json']);
    expect(r2.code).toBe(0);
    const lines = r2.out.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.slice(0, 2).map((l) => l.status)).toEqual(['skipped', 'skipped']);
    expect(lines.slice(0, 2).map((l) => l.identical)).toEqual([true, true]);
    const r3 = await cli(['restore', ...good, '--out', out]);
    expect(r3.out).toMatch(/^skipped {2}.*a\.png \(already restored with these settings: .*o2\/a\.png\)$/m);
    expect(lines[2].summary).toMatchObject({ skipped: 2, ok: 0 });
  });

  it('--shard K/N restores its share only; an empty share is no error, an empty folder is', async () => {
    const good = [path.join(folder, 'a.png'), path.join(folder, 'b')];
    const share = (rel: string) => [0, 1, 2].find((k) => inShard(rel, { index: k, count: 3 }))!;
    const mine = share('a.png');
    const r = await cli(['restore', ...good, '--out', path.join(tmp, 'shard'), '--shard', `${mine}/3`, '--json']);
    expect(r.code).toBe(0);
    const lines = r.out.trim().split('\n').map((l) => JSON.parse(l));
    const expected = ['a.png', 'c.jpg'].filter((n) => share(n) === mine);
    expect(lines.slice(0, -1).map((l) => path.basename(l.input))).toEqual(expected);
    // two photos, three shares: one share has none
    const empty = [0, 1, 2].find((k) => k !== share('a.png') && k !== share('c.jpg'))!;
    const none = await cli(['restore', ...good, '--out', path.join(tmp, 'shard'), '--shard', `${empty}/3`]);
    expect(none.code).toBe(0);
    expect(none.err).toMatch(new RegExp(`none of the 2 photos is in share ${empty}/3`));
    fs.mkdirSync(path.join(tmp, 'empty-box'), { recursive: true });
    const nothing = await cli(['restore', path.join(tmp, 'empty-box'), '--out', path.join(tmp, 'shard'), '--shard', '0/3']);
    expect(nothing.code).toBe(1);
    expect(nothing.err).toMatch(/no photos found/);
  });

  it('draws a progress bar on a terminal', async () => {
    const r = await cli(['restore', path.join(folder, 'a.png'), '--out', path.join(tmp, 'o3'), '--tile', '32'], { tty: true });
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/\r\x1b\[2K\[#*\.*\] +\d+% \d\/1/);
  });

  it('--device cuda without CUDA falls back to the CPU and says why', async () => {
    const r = await cli(['restore', path.join(folder, 'a.png'), '--out', path.join(tmp, 'o4'), '--device', 'cuda']);
    expect(r.code).toBe(0);
    if (!availableProviders().includes('cuda')) expect(r.err).toMatch(/using CPU \(requested: cuda\); CUDA not used: .{10,}/);
  });

  it('a damaged model: every file fails with the file named, exit 1', async () => {
    const dir = copyFixtureModels(path.join(tmp, 'dm'));
    const f = path.join(dir, 'restore-fixture.onnx');
    const b = fs.readFileSync(f);
    b[7] ^= 1;
    fs.writeFileSync(f, b);
    const r = await cli(['restore', path.join(folder, 'a.png'), '--out', path.join(tmp, 'o5')], { env: { REVIVE_MODELS_DIR: dir } });
    expect(r.code).toBe(1);
    expect(r.out).toContain('Model file models/restore-fixture.onnx is damaged (checksum mismatch). Reinstall Revive.');
  });

  it('an unknown --model is reported with the installed ones', async () => {
    const r = await cli(['restore', path.join(folder, 'a.png'), '--out', path.join(tmp, 'o6'), '--model', 'nope']);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/There is no model "nope"\. Installed restore models: restore-fixture, restore-fixture-unet/);
  });

  it('--model picks a shipped restore model other than the default, and its result differs from the default one', async () => {
    const shipped = { REVIVE_MODELS_DIR: '' }; // the repository's models/
    const photo = path.join(folder, 'a.png');
    // the networks at full strength (--noise-fixed): adapting may judge this small photo to need none of either
    const other = await cli(['restore', photo, '--out', path.join(tmp, 'o8n'), '--model', 'restore-naf32-v2', '--noise-fixed', '--json'], {
      env: shipped,
    });
    expect(other.code).toBe(0);
    expect(JSON.parse(other.out.split('\n')[0])).toMatchObject({ status: 'ok' });
    expect(JSON.parse(other.out.split('\n')[0])).not.toHaveProperty('noiseAmount'); // fixed: nothing was judged
    // by default the photo is judged, and its amount is in the JSON line
    const adapted = await cli(['restore', photo, '--out', path.join(tmp, 'o8a'), '--json'], { env: shipped });
    const amount = (JSON.parse(adapted.out.split('\n')[0]) as { noiseAmount?: number }).noiseAmount;
    expect(amount).toBeGreaterThanOrEqual(0);
    expect(amount).toBeLessThanOrEqual(1);
    const natural = await cli(['restore', photo, '--out', path.join(tmp, 'o8c'), '--noise-fixed'], { env: shipped }); // the default
    expect(natural.code).toBe(0);
    const [a, b] = await Promise.all(
      ['o8n', 'o8c'].map((d) => sharp(path.join(tmp, d, 'a.png')).raw().toBuffer({ resolveWithObject: true })),
    );
    expect([a.info.width, a.info.height]).toEqual([b.info.width, b.info.height]);
    let diff = 0;
    for (let i = 0; i < a.data.length; i++) diff += Math.abs(a.data[i] - b.data[i]);
    expect(diff / a.data.length).toBeGreaterThan(0.5); // mean abs difference in levels: not the same model
  });

  it('nothing to restore: exit 1 with a message', async () => {
    const empty = path.join(tmp, 'empty');
    fs.mkdirSync(empty, { recursive: true });
    const r = await cli(['restore', empty, '--out', path.join(tmp, 'o7')]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/no photos found/);
  });
});

describe('revive models', () => {
  it('lists the models with their checksum state and the providers', async () => {
    const r = await cli(['models']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/restore-fixture +restore .*sha256 ok +\(default\)/);
    expect(r.out).toMatch(/execution providers\n {2}cuda /);
    expect(r.out).toMatch(/ {2}cpu +available/);
    const j = await cli(['models', '--json']);
    const obj = JSON.parse(j.out);
    expect(obj.models.map((m: { id: string }) => m.id)).toContain('restore-fixture-unet');
    expect(obj.providers.find((p: { provider: string }) => p.provider === 'cpu').available).toBe(true);
  });

  it('exits 1 and names the damaged file', async () => {
    const dir = copyFixtureModels(path.join(tmp, 'dm2'));
    fs.appendFileSync(path.join(dir, 'restore-fixture-unet.onnx'), 'junk');
    const r = await cli(['models'], { env: { REVIVE_MODELS_DIR: dir } });
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/restore-fixture-unet .*BAD: Model file models\/restore-fixture-unet\.onnx is damaged/);
  });

  it('checks the int8 copies too: a damaged one is BAD (exit 1), and a restore still works in float32 and says why', async () => {
    const dir = copyFixtureModels(path.join(tmp, 'dm-int8'));
    // restore-fixture gets an int8 copy (any valid ONNX of the same inputs will do: restore-fixture-unet's file)
    const manifestFile = path.join(dir, 'manifest.json');
    const m = JSON.parse(fs.readFileSync(manifestFile, 'utf8'));
    const copy = fs.readFileSync(path.join(dir, 'restore-fixture-unet.onnx'));
    fs.writeFileSync(path.join(dir, 'restore-fixture.int8.onnx'), copy);
    const { createHash } = await import('node:crypto');
    const e = m.models.find((x: { id: string }) => x.id === 'restore-fixture');
    e.cpu_int8 = { file: 'restore-fixture.int8.onnx', sha256: createHash('sha256').update(copy).digest('hex'), bytes: copy.length };
    fs.writeFileSync(manifestFile, JSON.stringify(m));
    const ok = await cli(['models'], { env: { REVIVE_MODELS_DIR: dir } });
    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(/\n +int8 copy .*sha256 ok +the CPU's by default\n/);
    fs.appendFileSync(path.join(dir, 'restore-fixture.int8.onnx'), 'junk');
    const bad = await cli(['models'], { env: { REVIVE_MODELS_DIR: dir } });
    expect(bad.code).toBe(1);
    expect(bad.out).toMatch(/int8 copy .*BAD \(float32 runs instead, slower\): Model file models\/restore-fixture\.int8\.onnx is damaged/);
    const photo = path.join(tmp, 'int8-photo.png');
    await sharp({ create: { width: 40, height: 32, channels: 3, background: { r: 120, g: 90, b: 60 } } }).png().toFile(photo);
    const r = await cli(['restore', photo, '--out', path.join(tmp, 'o-int8'), '--scratches', 'off'], { env: { REVIVE_MODELS_DIR: dir } });
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/the int8 copy was not used: Model file models\/restore-fixture\.int8\.onnx is damaged/);
    expect(fs.existsSync(path.join(tmp, 'o-int8', 'int8-photo.png'))).toBe(true);
  });

  it('finds the repository models/ without REVIVE_MODELS_DIR', async () => {
    const r = await cli(['models', '--json'], { env: { REVIVE_MODELS_DIR: '' } });
    expect(JSON.parse(r.out).modelsDir).toBe(path.join(ROOT, 'models'));
  });

  it('marks the default of the two shipped restore models', async () => {
    const r = await cli(['models'], { env: { REVIVE_MODELS_DIR: '' } });
    expect(r.code).toBe(0);
    const line = (id: string) => r.out.split('\n').find((l) => l.trim().startsWith(`${id} `)) ?? '';
    expect(line('restore-naf32-natural-v3')).toMatch(/restore .*sha256 ok +\(default\) +Natural texture$/);
    expect(line('restore-naf32-v2')).toMatch(/restore .*sha256 ok +Clean$/);
    expect(line('restore-naf32-v2')).not.toContain('(default)');
    expect(r.out).not.toContain('restore-naf32-v1');
    const j = JSON.parse((await cli(['models', '--json'], { env: { REVIVE_MODELS_DIR: '' } })).out);
    expect(j.default_restore).toBe('restore-naf32-natural-v3');
  });
});
