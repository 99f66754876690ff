import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SessionCache } from '../../src/core/inference/session';
import { collectInputs, planOutputs, runRestoreJob } from '../../src/core/jobs/batch';
import type { JobEvent, JobRequest, RestoreSettings } from '../../src/shared/types';
import { crops, copyFixtureModels, FIXTURES, rmrf, tmpDir } from './restore-helpers';

const tmp = tmpDir('jobs');
const sessions = new SessionCache({ threads: 1 });
afterAll(async () => {
  await sessions.dispose();
  rmrf(tmp);
});

const settings = (s: Partial<RestoreSettings> = {}): RestoreSettings => ({
  device: 'cpu',
  strength: 1,
  format: 'same',
  quality: 90,
  ...s,
});

/** Small real photos: crops of CBSD68 written as PNG and JPEG, in a nested folder, plus a corrupt one. */
let album: string;
beforeAll(async () => {
  album = path.join(tmp, 'album');
  fs.mkdirSync(path.join(album, 'summer', 'beach'), { recursive: true });
  fs.mkdirSync(path.join(album, '.thumbs'), { recursive: true });
  const [a, b, c] = crops(3);
  const crop = (f: string) => sharp(f).extract({ left: 0, top: 0, width: 120, height: 90 });
  await crop(a).png().toFile(path.join(album, 'one.png'));
  await crop(b).jpeg({ quality: 90 }).toFile(path.join(album, 'summer', 'two.jpg'));
  await crop(c).png().toFile(path.join(album, 'summer', 'beach', 'three.PNG'));
  await crop(c).png().toFile(path.join(album, '.thumbs', 'hidden.png'));
  fs.writeFileSync(path.join(album, 'notes.txt'), 'not a photo');
});

async function run(req: JobRequest, signal?: AbortSignal, modelsDir = FIXTURES) {
  const events: JobEvent[] = [];
  const summary = await runRestoreJob(req, { sessions, modelsDir, signal, onEvent: (e) => events.push(e) });
  return { summary, events, results: events.flatMap((e) => (e.type === 'file-done' ? [e.result] : [])) };
}

/** The files in dir, recursively, but for the ledger's records (a temp file anywhere is listed). */
function listFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return (fs.readdirSync(dir, { recursive: true }) as string[])
    .filter((f) => fs.statSync(path.join(dir, f)).isFile())
    .filter((f) => !f.split(path.sep).includes('.revive') || f.includes('.revive-tmp-'))
    .sort();
}

describe('collectInputs / planOutputs', () => {
  it('walks folders recursively (images only, hidden left out, sorted) and keeps files given alone', async () => {
    const single = path.join(album, 'summer', 'two.jpg');
    const files = await collectInputs([album, single, path.join(tmp, 'nope.jpg')]);
    expect(files.map((f) => f.rel)).toEqual([
      'one.png',
      path.join('summer', 'beach', 'three.PNG'),
      path.join('summer', 'two.jpg'),
      'nope.jpg',
    ]);
    // two.jpg was already found in the folder: not listed twice
    expect(files.filter((f) => f.input === single)).toHaveLength(1);
    expect(files[3].error).toMatch(/No such file or folder/);
    const alone = await collectInputs([single]);
    expect(alone).toEqual([{ input: single, rel: 'two.jpg' }]);
  });

  it('mirrors each folder under outDir with the format\'s extension, a lone file at outDir/<name>', async () => {
    const files = await collectInputs([album]);
    const out = path.join(tmp, 'out');
    const same = planOutputs(files, out, 'same').map((f) => path.relative(out, f.output));
    expect(same).toEqual(['one.png', path.join('summer', 'beach', 'three.png'), path.join('summer', 'two.jpg')]);
    const png = planOutputs(files, out, 'png').map((f) => path.relative(out, f.output));
    expect(png).toEqual(['one.png', path.join('summer', 'beach', 'three.png'), path.join('summer', 'two.png')]);
  });

  it('names photos that share a stem by their extension and refuses an output that is an input', async () => {
    const d = path.join(tmp, 'collide');
    fs.mkdirSync(d, { recursive: true });
    fs.copyFileSync(path.join(album, 'one.png'), path.join(d, 'x.png'));
    fs.copyFileSync(path.join(album, 'summer', 'two.jpg'), path.join(d, 'x.jpg'));
    const files = await collectInputs([d]);
    const outs = planOutputs(files, path.join(tmp, 'o2'), 'png').map((f) => path.basename(f.output));
    expect(outs).toEqual(['x (jpg).png', 'x (png).png']);
    fs.copyFileSync(path.join(album, 'one.png'), path.join(d, 'y.png'));
    const inPlace = planOutputs(await collectInputs([d]), d, 'same');
    expect(inPlace.map((f) => path.basename(f.output))).toEqual(['x (jpg).jpg', 'x (png).png', 'y.png']);
    expect(inPlace.map((f) => f.error)).toEqual([undefined, undefined, expect.stringMatching(/^Refused: the output .* would overwrite an original/)]);
  });

  it('leaves the output folder out of the walk when it lies inside an input folder', async () => {
    const d = path.join(tmp, 'nested');
    fs.mkdirSync(path.join(d, 'restored'), { recursive: true });
    fs.copyFileSync(path.join(album, 'one.png'), path.join(d, 'a.png'));
    fs.copyFileSync(path.join(album, 'one.png'), path.join(d, 'restored', 'a.png'));
    const files = await collectInputs([d], { exclude: [path.join(d, 'restored')] });
    expect(files.map((f) => f.rel)).toEqual(['a.png']);
  });
});

describe('runRestoreJob', () => {
  it('restores a folder, mirroring it, with the events in order and sane progress', async () => {
    const out = path.join(tmp, 'run1');
    const { summary, events, results } = await run({ inputs: [album], outDir: out, settings: settings() });
    expect(summary).toMatchObject({ total: 3, ok: 3, failed: 0, skipped: 0, cancelled: 0 });
    expect(listFiles(out)).toEqual(['one.png', path.join('summer', 'beach', 'three.png'), path.join('summer', 'two.jpg')].sort());
    for (const r of results) {
      const meta = await sharp(r.output).metadata();
      expect([meta.width, meta.height]).toEqual([120, 90]);
      expect(r.status).toBe('ok');
      expect(r.ms).toBeGreaterThanOrEqual(0);
    }
    // the restored pixels differ from the input (the fixture model changes the image)
    const a = await sharp(path.join(album, 'one.png')).raw().toBuffer();
    const b = await sharp(path.join(out, 'one.png')).raw().toBuffer();
    expect(a.equals(b)).toBe(false);

    const types = events.map((e) => e.type);
    expect(types[0]).toBe('start');
    expect(types[types.length - 1]).toBe('done');
    expect(types.indexOf('provider')).toBeLessThan(types.indexOf('file-start'));
    const jobIds = new Set(events.map((e) => e.jobId));
    expect(jobIds.size).toBe(1);
    const progress = events.flatMap((e) => (e.type === 'progress' ? [e] : []));
    for (let i = 1; i < progress.length; i++) expect(progress[i].fraction).toBeGreaterThanOrEqual(progress[i - 1].fraction);
    expect(progress[progress.length - 1]).toMatchObject({ done: 3, total: 3, fraction: 1, etaMs: 0 });
    expect(progress.some((p) => p.etaMs !== null && p.etaMs > 0)).toBe(true);
    const fileProgress = events.flatMap((e) => (e.type === 'file-progress' ? [e.fraction] : []));
    expect(fileProgress.length).toBeGreaterThan(3);
    for (const f of fileProgress) expect(f).toBeGreaterThan(0);
    const prov = events.find((e) => e.type === 'provider');
    expect(prov).toMatchObject({ report: { requested: 'cpu', used: 'cpu' } });
  });

  it("writes a photo while the next one restores, reports results in order; a big photo is written first", async () => {
    const order = (events: JobEvent[]) =>
      events.flatMap((e) => (e.type === 'file-start' ? [`start ${e.index}`] : e.type === 'file-done' ? [`done ${e.index}`] : []));
    const req = { inputs: [album], outDir: path.join(tmp, 'overlap'), settings: settings() };
    const ev: JobEvent[] = [];
    const summary = await runRestoreJob(req, { sessions, modelsDir: FIXTURES, onEvent: (e) => ev.push(e) });
    expect(summary).toMatchObject({ total: 3, ok: 3 });
    // photo 1 starts before photo 0 is reported (its write overlaps), and the results still come 0, 1, 2
    expect(order(ev)).toEqual(['start 0', 'start 1', 'done 0', 'start 2', 'done 1', 'done 2']);
    const fr = ev.flatMap((e) => (e.type === 'progress' ? [e.fraction] : []));
    for (let i = 1; i < fr.length; i++) expect(fr[i]).toBeGreaterThanOrEqual(fr[i - 1]);
    expect(listFiles(req.outDir)).toHaveLength(3);

    // above the size limit (0 here) each photo is written before the next one is read
    const ev2: JobEvent[] = [];
    const req2 = { ...req, outDir: path.join(tmp, 'no-overlap') };
    await runRestoreJob(req2, { sessions, modelsDir: FIXTURES, overlapMaxPixels: 0, onEvent: (e) => ev2.push(e) });
    expect(order(ev2)).toEqual(['start 0', 'done 0', 'start 1', 'done 1', 'start 2', 'done 2']);
  });

  it('goes on past a corrupt file and reports it; resumes by skipping what exists', async () => {
    const d = path.join(tmp, 'withbad');
    fs.mkdirSync(d, { recursive: true });
    fs.copyFileSync(path.join(album, 'one.png'), path.join(d, 'a.png'));
    fs.copyFileSync(path.join(album, 'summer', 'two.jpg'), path.join(d, 'c.jpg'));
    const good = fs.readFileSync(path.join(album, 'summer', 'two.jpg'));
    fs.writeFileSync(path.join(d, 'b.jpg'), good.subarray(0, 200)); // truncated JPEG
    const out = path.join(tmp, 'run2');
    const first = await run({ inputs: [d], outDir: out, settings: settings() });
    expect(first.summary).toMatchObject({ total: 3, ok: 2, failed: 1 });
    const bad = first.results.find((r) => r.status === 'error')!;
    expect(bad.input).toBe(path.join(d, 'b.jpg'));
    expect(bad.error!.length).toBeGreaterThan(5);
    expect(listFiles(out)).toEqual(['a.png', 'c.jpg']);

    const mtime = fs.statSync(path.join(out, 'a.png')).mtimeMs;
    const second = await run({ inputs: [d], outDir: out, settings: settings() });
    expect(second.summary).toMatchObject({ total: 3, ok: 0, failed: 1, skipped: 2 });
    expect(second.results.filter((r) => r.status === 'skipped').map((r) => path.basename(r.output))).toEqual(['a.png', 'c.jpg']);
    expect(fs.statSync(path.join(out, 'a.png')).mtimeMs).toBe(mtime);
  });

  it('refuses to write over originals and leaves them untouched', async () => {
    const d = path.join(tmp, 'inplace');
    fs.mkdirSync(d, { recursive: true });
    fs.copyFileSync(path.join(album, 'one.png'), path.join(d, 'a.png'));
    const before = fs.readFileSync(path.join(d, 'a.png'));
    const { summary, results } = await run({ inputs: [d], outDir: d, settings: settings() });
    expect(summary).toMatchObject({ total: 1, ok: 0, failed: 1 });
    expect(results[0].error).toMatch(/would overwrite an original/);
    expect(fs.readFileSync(path.join(d, 'a.png')).equals(before)).toBe(true);
    expect(fs.readdirSync(d)).toEqual(['a.png']);
  });

  it('cancel stops the batch, marks the rest cancelled and leaves no partial file', async () => {
    const out = path.join(tmp, 'run3');
    const ac = new AbortController();
    const events: JobEvent[] = [];
    const summary = await runRestoreJob(
      { inputs: [album], outDir: out, settings: settings({ tile: 32 }) },
      {
        sessions,
        modelsDir: FIXTURES,
        signal: ac.signal,
        onEvent: (e) => {
          events.push(e);
          if (e.type === 'file-progress' && e.index === 1 && e.fraction > 0.3) ac.abort();
        },
      },
    );
    expect(summary).toMatchObject({ total: 3, ok: 1, cancelled: 2 });
    expect(listFiles(out)).toEqual(['one.png']); // no temp file, nothing half-written
    expect(events[events.length - 1].type).toBe('done');
  });

  it('reports a damaged model on every file (with the file named), not as a crash', async () => {
    const dir = copyFixtureModels(path.join(tmp, 'damaged'));
    const f = path.join(dir, 'restore-fixture.onnx');
    const buf = fs.readFileSync(f);
    buf[buf.length - 10] ^= 0x20;
    fs.writeFileSync(f, buf);
    const out = path.join(tmp, 'run4');
    const { summary, results } = await run({ inputs: [album], outDir: out, settings: settings() }, undefined, dir);
    expect(summary).toMatchObject({ total: 3, failed: 3 });
    for (const r of results) {
      expect(r.error).toBe('Model file models/restore-fixture.onnx is damaged (checksum mismatch). Reinstall Revive.');
    }
    expect(listFiles(out)).toEqual([]);
  });

  it('writes the requested format and blends with the strength', async () => {
    const out = path.join(tmp, 'run5');
    const one = path.join(album, 'one.png');
    await run({ inputs: [one], outDir: out, settings: settings({ format: 'webp', strength: 0 }) });
    expect(listFiles(out)).toEqual(['one.webp']);
    expect((await sharp(path.join(out, 'one.webp')).metadata()).format).toBe('webp');
    const out2 = path.join(tmp, 'run6');
    await run({ inputs: [one], outDir: out2, settings: settings({ format: 'png', strength: 0 }) });
    // strength 0 = the input itself
    const a = await sharp(one).raw().toBuffer();
    const b = await sharp(path.join(out2, 'one.png')).raw().toBuffer();
    expect(b.equals(a)).toBe(true);
  });
});
