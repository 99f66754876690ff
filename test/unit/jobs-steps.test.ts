// The restore job's steps one at a time (src/core/jobs/batch.ts RestoreJob and JobProgress): planning, the decision
// to skip, restoring one photo, writing it, and the progress arithmetic that keeps the bar from going back.
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SessionCache } from '../../src/core/inference/session';
import { JobProgress, RestoreJob } from '../../src/core/jobs/batch';
import type { JobEvent, JobRequest } from '../../src/shared/types';
import { FIXTURES, rmrf, ROOT, tmpDir } from './restore-helpers';

const tmp = tmpDir('job-steps');
const sessions = new SessionCache({ threads: 1 });
let album: string;
beforeAll(async () => {
  album = path.join(tmp, 'album');
  fs.mkdirSync(album, { recursive: true });
  const sample = path.join(ROOT, 'samples', 'girl-in-garden.jpg');
  await sharp(sample).extract({ left: 0, top: 0, width: 64, height: 48 }).png().toFile(path.join(album, 'a.png'));
  await sharp(sample).extract({ left: 64, top: 0, width: 64, height: 48 }).png().toFile(path.join(album, 'b.png'));
});
afterAll(async () => {
  await sessions.dispose();
  rmrf(tmp);
});

const request = (outDir: string, inputs = [album]): JobRequest => ({
  inputs,
  outDir,
  settings: { device: 'cpu', strength: 1, format: 'png', quality: 90 },
});

describe('JobProgress', () => {
  it('never goes back while a write overlaps the next restore, and reaches 1', () => {
    let now = 0;
    const p = new JobProgress(2, 2, () => now);
    const seen: number[] = [];
    const look = () => seen.push(p.event().fraction);
    p.startFile(0);
    p.restoring(0.5);
    look();
    p.restoring(0.9);
    look();
    p.writing(0.9); // file 0 is written while file 1 restores
    look();
    p.restoring(0.3);
    look();
    now = 1000;
    p.written();
    p.fileReported();
    look();
    p.restoring(0.9);
    p.writing(0.9);
    p.written();
    p.fileReported();
    look();
    for (let i = 1; i < seen.length; i++) expect(seen[i]).toBeGreaterThanOrEqual(seen[i - 1]);
    expect(seen.at(-1)).toBe(1);
    expect(p.event()).toMatchObject({ done: 2, total: 2, etaMs: 0 });
  });

  it('estimates the time left from the work done so far; a failed file counts what it did', () => {
    let now = 0;
    const p = new JobProgress(4, 4, () => now);
    p.startFile(0);
    p.restoring(0.01);
    expect(p.event().etaMs).toBeNull(); // too little done to tell
    now = 2000;
    p.restoring(0.5);
    expect(p.event().etaMs).toBe(Math.round((2000 * 3.5) / 0.5));
    p.restoreEnded(0.5);
    p.fileReported();
    expect(p.event()).toMatchObject({ done: 1, fraction: 0.25, etaMs: Math.round((2000 * 3.5) / 0.5) });
  });

  it('with nothing to do the job is done at once', () => {
    expect(new JobProgress(3, 0).event()).toEqual({ done: 0, total: 3, fraction: 0, etaMs: 0 });
    expect(new JobProgress(0, 0).event()).toMatchObject({ fraction: 1 });
  });
});

describe('RestoreJob steps', () => {
  it('plan finds the photos and announces them; skip and decide say which need no work', async () => {
    const outDir = path.join(tmp, 'plan');
    fs.mkdirSync(outDir, { recursive: true });
    fs.writeFileSync(path.join(outDir, 'b.png'), 'someone else\'s file: not a result of b.png');
    const events: JobEvent[] = [];
    const ac = new AbortController();
    const job = new RestoreJob(request(outDir, [album, path.join(tmp, 'missing.png')]), {
      sessions,
      modelsDir: FIXTURES,
      signal: ac.signal,
      onEvent: (e) => events.push(e),
    });
    await job.plan();
    expect(job.files.map((f) => path.basename(f.output))).toEqual(['a.png', 'b.png', 'missing.png']);
    expect(events.map((e) => e.type)).toEqual(['start']);
    // a file Revive did not make is no result: both photos need work
    expect(job.progress.toDo).toBe(2);
    expect(job.skip(0)).toBeNull();
    expect(job.skip(1)).toBeNull();
    expect(job.skip(2)).toMatchObject({ status: 'error', errorKind: 'file', error: expect.stringMatching(/No such file/) });
    expect(await job.decide(1)).toBeNull(); // to be restored (into a new name: b.png is not Revive's)
    ac.abort();
    expect(job.skip(0)).toMatchObject({ status: 'cancelled' });
  });

  it('restore gives the photo for writing; write reports it once written, in order', async () => {
    const outDir = path.join(tmp, 'steps');
    const events: JobEvent[] = [];
    const job = new RestoreJob(request(outDir), { sessions, modelsDir: FIXTURES, onEvent: (e) => events.push(e) });
    await job.plan();
    const r0 = await job.restore(0);
    expect(r0).toMatchObject({ index: 0, pixels: 64 * 48 });
    expect(r0!.fraction).toBeCloseTo(0.9, 5);
    expect(r0!.image).toMatchObject({ width: 64, height: 48 });
    expect(events.map((e) => e.type)).toEqual(['start', 'provider', 'file-start', 'file-progress', 'progress', 'file-progress', 'progress']);
    await job.write(r0!); // small: written in the background
    const r1 = await job.restore(1);
    await job.write(r1!); // waits for the first write, which is reported first
    await job.settle();
    const done = events.flatMap((e) => (e.type === 'file-done' ? [[e.index, e.result.status]] : []));
    expect(done).toEqual([
      [0, 'ok'],
      [1, 'ok'],
    ]);
    expect(job.summary).toMatchObject({ total: 2, ok: 2 });
    expect(fs.readdirSync(outDir).sort()).toEqual(['.revive', 'a.png', 'b.png']);
  });

  it('restore reports a photo it cannot decode and returns nothing to write', async () => {
    const bad = path.join(tmp, 'bad.png');
    fs.writeFileSync(bad, 'not a png');
    const events: JobEvent[] = [];
    const job = new RestoreJob(request(path.join(tmp, 'bad-out'), [bad]), { sessions, modelsDir: FIXTURES, onEvent: (e) => events.push(e) });
    await job.plan();
    expect(await job.restore(0)).toBeNull();
    expect(job.summary.failed).toBe(1);
    // a file that is not an image stays so: the app offers no "Try again" for it (issue 15)
    expect(events.find((e) => e.type === 'file-done')).toMatchObject({ result: { status: 'error', errorKind: 'file' } });
  });
});
