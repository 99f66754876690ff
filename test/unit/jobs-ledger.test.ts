// Which output belongs to which photo (src/core/jobs/ledger.ts, inputs.ts, batch.ts): resume skips only an identical
// earlier result, the three `existing` policies, stable names for photos that share a stem, outputs never fed back
// in, names that are not UTF-8, unreadable folders reported, per-photo claims between writers, and --shard's split.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { SessionCache } from '../../src/core/inference/session';
import { AMOUNT_FEATURES } from '../../src/core/restore/amount';
import { EngineService } from '../../src/core/service';
import { collectInputs, inShard, planOutputs, runRestoreJob } from '../../src/core/jobs/batch';
import { hashFile, isReviveOutput, readRecord, settingsFingerprint, tryClaim, type Claim } from '../../src/core/jobs/ledger';
import type { FileResult, JobEvent, RestoreSettings } from '../../src/shared/types';
import { FIXTURES, rmrf, ROOT, tmpDir } from './restore-helpers';

const tmp = tmpDir('ledger');
const sessions = new SessionCache({ threads: 1 });
afterAll(async () => {
  await sessions.dispose();
  rmrf(tmp);
});
afterEach(() => {
  vi.restoreAllMocks();
});

const SAMPLE = path.join(ROOT, 'samples', 'girl-in-garden.jpg');
const settings = (s: Partial<RestoreSettings> = {}): RestoreSettings => ({ device: 'cpu', strength: 1, format: 'same', quality: 90, ...s });

/** A small real photo, different for each `n`. */
function photo(file: string, n: number, fmt: 'png' | 'jpeg' | 'tiff' | 'gif' = 'png'): Promise<unknown> {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const s = sharp(SAMPLE).extract({ left: 40 * n, top: 30 * n, width: 48, height: 36 });
  return (fmt === 'png' ? s.png() : fmt === 'jpeg' ? s.jpeg() : fmt === 'tiff' ? s.tiff() : s.gif()).toFile(file);
}

async function run(inputs: string[], outDir: string, s: Partial<RestoreSettings> = {}, extra: { shard?: { index: number; count: number } } = {}) {
  const events: JobEvent[] = [];
  const summary = await runRestoreJob({ inputs, outDir, settings: settings(s) }, { sessions, modelsDir: FIXTURES, onEvent: (e) => events.push(e), ...extra });
  const results = events.flatMap((e) => (e.type === 'file-done' ? [e.result] : []));
  return { summary, results, events, by: (name: string) => results.find((r) => path.basename(r.input) === name) as FileResult };
}

/** The files in dir (recursive), the ledger's folder left out. */
function files(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true }) as string[])
    .filter((f) => !f.split(path.sep).includes('.revive') && fs.statSync(path.join(dir, f)).isFile())
    .sort();
}

const claimsLeft = (dir: string) => {
  const c = path.join(dir, '.revive', 'claims');
  return fs.existsSync(c) ? fs.readdirSync(c) : [];
};

describe('resume by identity, not by name', () => {
  it('skips only an identical earlier result; an edited photo or other settings are restored again into a new name', async () => {
    const src = path.join(tmp, 'resume');
    const out = path.join(tmp, 'resume-out');
    await photo(path.join(src, 'p.png'), 1);
    await photo(path.join(src, 'q.png'), 2);
    const first = await run([src], out);
    expect(first.summary).toMatchObject({ ok: 2, skipped: 0 });
    const rec = await readRecord(out, 'outputs', 'p.png');
    expect(rec).toMatchObject({ output: 'p.png', source: path.join(src, 'p.png'), sourceName: 'p.png', sourceHash: await hashFile(path.join(src, 'p.png')) });
    expect(rec!.outputHash).toBe(await hashFile(path.join(out, 'p.png')));

    // nothing changed: both skipped, each pointing at its own earlier output
    const same = await run([src], out);
    expect(same.summary).toMatchObject({ ok: 0, skipped: 2 });
    expect(same.by('p.png')).toMatchObject({ status: 'skipped', identical: true, output: path.join(out, 'p.png') });
    const start = same.events.find((e) => e.type === 'start');
    expect(start).toMatchObject({ files: [{ output: path.join(out, 'p.png') }, { output: path.join(out, 'q.png') }] });

    // p edited (other pixels): restored again, into a new name; the earlier output stays as it was
    const before = fs.readFileSync(path.join(out, 'p.png'));
    await photo(path.join(src, 'p.png'), 3);
    const edited = await run([src], out);
    expect(edited.by('p.png')).toMatchObject({ status: 'ok', output: path.join(out, 'p-2.png') });
    expect(edited.by('q.png')).toMatchObject({ status: 'skipped', identical: true });
    expect(fs.readFileSync(path.join(out, 'p.png')).equals(before)).toBe(true);
    // ...and the next run knows p-2.png is the result of the photo as it is now
    expect((await run([src], out)).by('p.png')).toMatchObject({ status: 'skipped', output: path.join(out, 'p-2.png') });

    // same photos, other settings: restored again
    const other = await run([src], out, { strength: 0.5 });
    expect(other.summary).toMatchObject({ ok: 2, skipped: 0 });
    expect(other.by('q.png').output).toBe(path.join(out, 'q-2.png'));
    expect(files(out)).toEqual(['p-2.png', 'p-3.png', 'p.png', 'q-2.png', 'q.png']);
    expect(claimsLeft(out)).toEqual([]);
  });

  it('a size and mtime that differ make it hash the photo: the same contents (touched, copied) are still skipped', async () => {
    const src = path.join(tmp, 'touch');
    const out = path.join(tmp, 'touch-out');
    await photo(path.join(src, 't.png'), 1);
    await run([src], out);
    const later = new Date(Date.now() + 60_000);
    fs.utimesSync(path.join(src, 't.png'), later, later);
    expect((await run([src], out)).by('t.png')).toMatchObject({ status: 'skipped', identical: true });
  });

  it('another photo with the same output name gets a new name; a file Revive did not make is never skipped or replaced', async () => {
    const out = path.join(tmp, 'others-out');
    const a = path.join(tmp, 'others-a');
    const b = path.join(tmp, 'others-b');
    await photo(path.join(a, 'x.png'), 1);
    await photo(path.join(b, 'x.png'), 2); // same name, other photo
    await photo(path.join(b, 'y.png'), 3);
    fs.mkdirSync(out, { recursive: true });
    fs.writeFileSync(path.join(out, 'y.png'), 'a file of the user: not a result');
    expect((await run([a], out)).by('x.png').output).toBe(path.join(out, 'x.png'));
    for (const existing of ['skip', 'replace'] as const) {
      const r = await run([b], out, { existing });
      expect(r.by('x.png')).toMatchObject({ status: 'ok' });
      expect(r.by('y.png')).toMatchObject({ status: 'ok' });
    }
    expect(fs.readFileSync(path.join(out, 'y.png'), 'utf8')).toBe('a file of the user: not a result');
    expect(files(out)).toEqual(['x-2.png', 'x.png', 'y-2.png', 'y.png']);
    // the second run (replace) replaced its own results, not a's x.png nor the user's y.png
    expect((await readRecord(out, 'outputs', 'x.png'))!.source).toBe(path.join(a, 'x.png'));
  });

  it('existing: replace writes over the earlier output of this photo only; keep-both always adds one', async () => {
    const src = path.join(tmp, 'policies');
    const out = path.join(tmp, 'policies-out');
    await photo(path.join(src, 'r.jpg'), 1, 'jpeg');
    await run([src], out);
    const r1 = await run([src], out, { existing: 'replace', strength: 0.5 });
    expect(r1.by('r.jpg')).toMatchObject({ status: 'ok', replaced: true, output: path.join(out, 'r.jpg') });
    // edited photo, replace: still its output, replaced again
    await photo(path.join(src, 'r.jpg'), 2, 'jpeg');
    const r2 = await run([src], out, { existing: 'replace' });
    expect(r2.by('r.jpg')).toMatchObject({ status: 'ok', replaced: true, output: path.join(out, 'r.jpg') });
    expect(files(out)).toEqual(['r.jpg']);
    // an output the user changed since is not Revive's any more: replace leaves it and takes a new name
    fs.appendFileSync(path.join(out, 'r.jpg'), 'edited by the user');
    const r3 = await run([src], out, { existing: 'replace' });
    expect(r3.by('r.jpg')).toMatchObject({ status: 'ok', output: path.join(out, 'r-2.jpg') });
    expect(r3.by('r.jpg').replaced).toBeUndefined();
    const kb = await run([src], out, { existing: 'keep-both' });
    expect(kb.by('r.jpg')).toMatchObject({ status: 'ok', output: path.join(out, 'r-3.jpg') });
    expect(files(out)).toEqual(['r-2.jpg', 'r-3.jpg', 'r.jpg']);
  });
});

describe('settings fingerprint', () => {
  it("counts the restore model's adapt-to-each-photo regressor while adapting, and only then", async () => {
    const dir = (name: string, amount?: unknown) => {
      const d = path.join(tmp, name);
      fs.cpSync(FIXTURES, d, { recursive: true });
      const m = JSON.parse(fs.readFileSync(path.join(d, 'manifest.json'), 'utf8'));
      const r = m.models.find((x: { kind: string }) => x.kind === 'restore');
      if (amount) r.amount = amount;
      fs.writeFileSync(path.join(d, 'manifest.json'), JSON.stringify(m));
      return d;
    };
    const n = AMOUNT_FEATURES.length;
    const amount = (b2: number) => ({
      features: [...AMOUNT_FEATURES], mean: Array(n).fill(0), std: Array(n).fill(1), w1: [Array(n).fill(0)], b1: [0], w2: [1], b2, metrics: { any: b2 },
    });
    const plain = dir('fp-plain');
    const withA = dir('fp-a', amount(0));
    const withB = dir('fp-b', amount(1));
    const withA2 = dir('fp-a2', { ...amount(0), metrics: { other: 'numbers' } });
    const s: RestoreSettings = { device: 'cpu', strength: 1, format: 'png', quality: 92 };
    const fixed: RestoreSettings = { ...s, stages: { local: { adapt: false } } };
    const fp = async (set: RestoreSettings, d: string) => (await settingsFingerprint(set, 'png', d)).fingerprint;
    expect(await fp(s, withA)).not.toBe(await fp(s, plain)); // a result made before the regressor is another result
    expect(await fp(s, withA)).not.toBe(await fp(s, withB));
    expect(await fp(s, withA)).toBe(await fp(s, withA2)); // its recorded metrics are not part of it
    expect(await fp(fixed, withA)).toBe(await fp(fixed, plain)); // not adapting: the regressor decides nothing
  });
});

describe('a ledger is not trusted blindly', () => {
  it('a record that names a file outside its folder is ignored: replace never writes there', async () => {
    const src = path.join(tmp, 'hostile');
    const out = path.join(tmp, 'hostile-out');
    await photo(path.join(src, 'v.png'), 1);
    await run([src], out);
    const victim = path.join(tmp, 'victim.png');
    await photo(victim, 2);
    const before = fs.readFileSync(victim);
    const st = fs.statSync(victim);
    // a forged record: "v.png's output is ../victim.png", matching that file's size, mtime and hash
    const recFile = (kind: string) => path.join(out, '.revive', kind, fs.readdirSync(path.join(out, '.revive', kind))[0]);
    for (const kind of ['sources', 'outputs']) {
      const rec = JSON.parse(fs.readFileSync(recFile(kind), 'utf8'));
      Object.assign(rec, { output: '../victim.png', outputSize: st.size, outputMtimeMs: st.mtimeMs, outputHash: await hashFile(victim) });
      fs.writeFileSync(recFile(kind), JSON.stringify(rec));
    }
    const r = await run([src], out, { existing: 'replace' });
    expect(r.by('v.png')).toMatchObject({ status: 'ok' });
    expect(path.dirname(r.by('v.png').output)).toBe(out);
    expect(fs.readFileSync(victim).equals(before)).toBe(true);
  });
});

describe('names of photos that share a stem', () => {
  let dir: string;
  beforeAll(async () => {
    dir = path.join(tmp, 'stems');
    await photo(path.join(dir, 'a.jpg'), 1, 'jpeg');
    await photo(path.join(dir, 'a.png'), 2);
    await photo(path.join(dir, 'a.tif'), 3, 'tiff');
    await photo(path.join(dir, 'b.gif'), 4, 'gif');
    await photo(path.join(dir, 'b.png'), 5);
    await photo(path.join(dir, 'c.jpeg'), 6, 'jpeg');
    await photo(path.join(dir, 'c.jpg'), 7, 'jpeg');
    await photo(path.join(dir, 'd.png'), 8);
  });

  it('say which input each came from, whatever the order the photos come in', async () => {
    const found = await collectInputs([dir]);
    const names = (fs: typeof found) => Object.fromEntries(planOutputs(fs, path.join(tmp, 'o'), 'same').map((f) => [f.rel, path.basename(f.output)]));
    const expected = {
      'a.jpg': 'a (jpg).jpg',
      'a.png': 'a (png).png',
      'a.tif': 'a (tif).tif',
      'b.gif': 'b (gif).png',
      'b.png': 'b (png).png',
      'c.jpeg': 'c (jpeg).jpg',
      'c.jpg': 'c (jpg).jpg',
      'd.png': 'd.png',
    };
    expect(names(found)).toEqual(expected);
    expect(names([...found].reverse())).toEqual(expected);
    expect(names([found[3], found[0], found[6], found[1], found[7], found[2], found[5], found[4]])).toEqual(expected);
    // the same name in two folders given, or names differing only in case: the path's hash says which
    const two = planOutputs(
      [
        { input: '/one/z.png', rel: 'z.png' },
        { input: '/two/z.png', rel: 'z.png' },
        { input: '/two/Z.PNG', rel: 'Z.PNG' },
      ],
      '/out',
      'png',
    ).map((f) => path.basename(f.output));
    expect(two).toHaveLength(3);
    expect(new Set(two.map((n) => n.toLowerCase())).size).toBe(3);
    for (const n of two) expect(n).toMatch(/^z \((png|PNG) [0-9a-f]{6}\)\.png$/i);
  });

  it('a name near the 255-byte limit stays within it when its extension is added', () => {
    const stem = '写真'.repeat(40); // 240 bytes
    const out = planOutputs(
      [
        { input: `/in/${stem}.jpg`, rel: `${stem}.jpg` },
        { input: `/in/${stem}.png`, rel: `${stem}.png` },
      ],
      '/out',
      'same',
    ).map((f) => path.basename(f.output));
    for (const n of out) expect(Buffer.byteLength(n)).toBeLessThanOrEqual(255);
    expect(out[0]).toMatch(/ \(jpg\)\.jpg$/);
    expect(out[1]).toMatch(/ \(png\)\.png$/);
  });

  it('are the same on every run; a photo added beside one restored before leaves that one alone', async () => {
    const out = path.join(tmp, 'stems-out');
    const small = path.join(tmp, 'stems-small');
    await photo(path.join(small, 'b.png'), 5);
    expect((await run([small], out)).by('b.png').output).toBe(path.join(out, 'b.png'));
    await photo(path.join(small, 'b.gif'), 4, 'gif');
    const second = await run([small], out);
    expect(second.by('b.png')).toMatchObject({ status: 'skipped', identical: true, output: path.join(out, 'b.png') });
    expect(second.by('b.gif')).toMatchObject({ status: 'ok', output: path.join(out, 'b (gif).png') });
    expect(files(out)).toEqual(['b (gif).png', 'b.png']);

    const all = path.join(tmp, 'stems-all-out');
    const r1 = await run([dir], all);
    expect(r1.summary).toMatchObject({ ok: 8 });
    const r2 = await run([dir], all);
    expect(r2.summary).toMatchObject({ ok: 0, skipped: 8 });
    expect(r2.results.map((r) => r.output)).toEqual(r1.results.map((r) => r.output));
  });
});

describe('outputs are not inputs', () => {
  it('an output folder equal to or inside the input folder never feeds its outputs back in', async () => {
    const dir = path.join(tmp, 'feedback');
    await photo(path.join(dir, 'anim.gif'), 1, 'gif');
    await photo(path.join(dir, 'still.jpg'), 2, 'jpeg');
    for (let i = 0; i < 3; i++) {
      const r = await run([dir], dir, { format: 'png' });
      expect(r.summary.total).toBe(2);
      expect(r.summary.failed).toBe(0);
      const inside = await run([dir], path.join(dir, 'restored'));
      expect(inside.summary.total).toBe(2);
    }
    expect(files(dir)).toEqual(['anim.gif', 'anim.png', path.join('restored', 'anim.png'), path.join('restored', 'still.jpg'), 'still.jpg', 'still.png']);
    // a restored output is known as one even when another folder is given as the output
    expect(await isReviveOutput(dir, 'anim.png')).toBe(true);
    expect(await isReviveOutput(dir, 'anim.gif')).toBe(false);
    expect((await collectInputs([dir], { exclude: [path.join(tmp, 'elsewhere')] })).map((f) => f.rel)).toEqual(['anim.gif', 'still.jpg']);
  });
});

describe('names that are not UTF-8 (Linux)', () => {
  it.runIf(process.platform === 'linux')('finds and restores both Latin-1 names, into valid UTF-8 output names', async () => {
    const dir = path.join(tmp, 'latin1');
    fs.mkdirSync(dir, { recursive: true });
    const png = await sharp(SAMPLE).extract({ left: 0, top: 0, width: 40, height: 30 }).png().toBuffer();
    const png2 = await sharp(SAMPLE).extract({ left: 50, top: 0, width: 40, height: 30 }).png().toBuffer();
    const base = Buffer.from(`${dir}/`);
    fs.writeFileSync(Buffer.concat([base, Buffer.from([0x63, 0x61, 0x66, 0xe9]), Buffer.from('.png')]), png); // "caf\xe9.png"
    fs.writeFileSync(Buffer.concat([base, Buffer.from([0x63, 0x61, 0x66, 0xe8]), Buffer.from('.png')]), png2); // "caf\xe8.png"
    const found = await collectInputs([dir]);
    expect(found).toHaveLength(2);
    for (const f of found) expect(f.error).toBeUndefined();
    const out = path.join(tmp, 'latin1-out');
    const r = await run([dir], out);
    expect(r.results.map((x) => x.error)).toEqual([undefined, undefined]);
    expect(r.summary).toMatchObject({ ok: 2, failed: 0 });
    expect(files(out)).toEqual(['cafè.png', 'café.png']);
    expect((await sharp(path.join(out, 'café.png')).metadata()).width).toBe(40);
    // the photo given alone, by its exact bytes
    const alone = await run([found[1].input], path.join(tmp, 'latin1-alone'));
    expect(alone.summary).toMatchObject({ ok: 1 });
    expect((await run([dir], out)).summary).toMatchObject({ skipped: 2 });
  });
});

describe('unreadable folders', () => {
  it('are reported with the reason, not left out in silence; the others are restored', async () => {
    const dir = path.join(tmp, 'locked');
    await photo(path.join(dir, 'ok.png'), 1);
    await photo(path.join(dir, 'secret', 's.png'), 2);
    const locked = path.join(dir, 'secret');
    fs.chmodSync(locked, 0o000);
    try {
      // root reads any folder: make the listing fail the way it does for a user without the permission
      const real = fs.promises.readdir;
      vi.spyOn(fs.promises, 'readdir').mockImplementation(((p: fs.PathLike, o?: unknown) => {
        if (String(p) === locked) return Promise.reject(Object.assign(new Error(`EACCES: permission denied, scandir '${locked}'`), { code: 'EACCES' }));
        return (real as (p: fs.PathLike, o?: unknown) => Promise<unknown>)(p, o);
      }) as typeof real);
      const r = await run([dir], path.join(tmp, 'locked-out'));
      expect(r.summary).toMatchObject({ total: 2, ok: 1, failed: 1 });
      const bad = r.results.find((x) => x.status === 'error')!;
      expect(bad.input).toBe(locked);
      expect(bad.error).toBe(`Cannot read the folder ${locked} (permission denied): the photos in it were left out.`);
      // the app's expandInputs keeps the folder in its list, so that restoring it reports the same
      const service = new EngineService({ modelsDir: FIXTURES, userDataDir: path.join(tmp, 'locked-user') });
      expect(await service.expandInputs([dir])).toEqual([path.join(dir, 'ok.png'), locked]);
      await service.dispose();
    } finally {
      fs.chmodSync(locked, 0o755);
    }
  });
});

describe('file systems that give no entry types', () => {
  it('still find every photo (each entry is asked what it is)', async () => {
    const dir = path.join(tmp, 'untyped');
    await photo(path.join(dir, 'u.png'), 1);
    await photo(path.join(dir, 'sub', 'v.png'), 2);
    const real = fs.promises.readdir;
    vi.spyOn(fs.promises, 'readdir').mockImplementation((async (p: fs.PathLike, o?: unknown) => {
      const entries = (await (real as (p: fs.PathLike, o?: unknown) => Promise<fs.Dirent[]>)(p, o)) as fs.Dirent[];
      // DT_UNKNOWN: every is*() false
      const no = () => false;
      return entries.map((e) => ({ name: e.name, isFile: no, isDirectory: no, isSymbolicLink: no, isFIFO: no, isSocket: no, isBlockDevice: no, isCharacterDevice: no }));
    }) as unknown as typeof real);
    expect((await collectInputs([dir])).map((f) => f.rel)).toEqual(['sub/v.png', 'u.png'].map((r) => r.split('/').join(path.sep)));
  });
});

describe('claims: several writers in one output folder', () => {
  it('a claim is held while its writer runs; a dead writer\'s or an old one is taken over', async () => {
    const dir = path.join(tmp, 'claims');
    const a = await tryClaim(dir, 's', 'p.png');
    expect(a).not.toBe('held');
    expect(await tryClaim(dir, 's', 'p.png')).toBe('held');
    await (a as Claim).release();
    const b = (await tryClaim(dir, 's', 'p.png')) as Claim;
    expect(b).not.toBe('held');
    await b.release();

    // a claim file left by a process that has exited (kill -9)
    const dead = Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);
    const c = (await tryClaim(dir, 's', 'q.png')) as Claim;
    const body = JSON.parse(fs.readFileSync(c.file, 'utf8'));
    fs.writeFileSync(c.file, JSON.stringify({ ...body, pid: dead, nonce: 'gone' }));
    const taken = await tryClaim(dir, 's', 'q.png');
    expect(taken).not.toBe('held');
    await (taken as Claim).release();

    // another host's claim: held while fresh, taken over once older than the stale age
    const d = (await tryClaim(dir, 's', 'r.png')) as Claim;
    fs.writeFileSync(d.file, JSON.stringify({ pid: 1, host: 'another-machine', at: new Date().toISOString(), nonce: 'far' }));
    expect(await tryClaim(dir, 's', 'r.png')).toBe('held');
    const old = new Date(Date.now() - 11 * 60 * 1000);
    fs.utimesSync(d.file, old, old);
    const e = await tryClaim(dir, 's', 'r.png');
    expect(e).not.toBe('held');
    await (e as Claim).release();
    expect(fs.readdirSync(path.join(dir, '.revive', 'claims'))).toEqual([]);
  });

  it('two jobs at once into one folder: each photo written once, both finish', async () => {
    const src = path.join(tmp, 'two');
    for (let i = 0; i < 6; i++) await photo(path.join(src, `p${i}.png`), i);
    const out = path.join(tmp, 'two-out');
    const [x, y] = await Promise.all([run([src], out, {}, {}), run([src], out, {}, {})]);
    expect(x.summary.failed + y.summary.failed).toBe(0);
    expect(x.summary.ok + y.summary.ok).toBe(6);
    expect(x.summary.skipped + y.summary.skipped).toBe(6);
    expect(files(out)).toEqual([0, 1, 2, 3, 4, 5].map((i) => `p${i}.png`));
    expect(claimsLeft(out)).toEqual([]);
  });
});

describe('--shard', () => {
  it('splits the photos by path: every photo in exactly one share, the same split every time', async () => {
    const rels = Array.from({ length: 200 }, (_, i) => path.join(`box${i % 7}`, `scan-${i}.tif`));
    const shares = rels.map((r) => [0, 1, 2, 3].filter((k) => inShard(r, { index: k, count: 4 })));
    for (const s of shares) expect(s).toHaveLength(1);
    const sizes = [0, 1, 2, 3].map((k) => shares.filter((s) => s[0] === k).length);
    for (const n of sizes) expect(n).toBeGreaterThan(25);
    expect(rels.map((r) => inShard(r, { index: 1, count: 4 }))).toEqual(rels.map((r) => inShard(r, { index: 1, count: 4 })));
  });

  it('N workers running the same job restore every photo once between them', async () => {
    const src = path.join(tmp, 'shard');
    for (let i = 0; i < 8; i++) await photo(path.join(src, i % 2 ? 'odd' : 'even', `s${i}.png`), i);
    const out = path.join(tmp, 'shard-out');
    const runs = [];
    for (let k = 0; k < 3; k++) runs.push(await run([src], out, {}, { shard: { index: k, count: 3 } }));
    expect(runs.reduce((n, r) => n + r.summary.total, 0)).toBe(8);
    expect(runs.reduce((n, r) => n + r.summary.ok, 0)).toBe(8);
    expect(files(out)).toHaveLength(8);
  });
});
