// Refine through EngineService (its refine methods are src/core/refine's RefineRunner) on a real old photo with the
// fixture diffusion model: events, rounds on top of rounds, reverting, saving, cancelling, bounds, errors.
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RefineRequest } from '../../src/shared/api';
import type { RefineEvent, RefineSettings } from '../../src/shared/types';
import { decodeImage } from '../../src/core/image/decode';
import { SessionCache } from '../../src/core/inference/session';
import { engineRefineRunner } from '../../src/core/refine/backend';
import { EngineService } from '../../src/core/service';
import { discStrokes } from '../unit/refine-helpers';
import { FIXTURES, ROOT, rmrf, tmpDir } from '../unit/restore-helpers';

const PHOTO = path.join(ROOT, 'samples/boy-with-glasses.jpg'); // a real scanned old photo, 298 x 450
const tmp = tmpDir('refine-runner');
const settings: RefineSettings = { strength: 0.5, steps: 3, repeats: 1, seed: 3, eta: 0, device: 'cpu' };
let service: EngineService;
let events: RefineEvent[] = [];
let W = 0;
let H = 0;
let strokesPng: Uint8Array;

const png = (rgba: Uint8Array, w: number, h: number) => sharp(Buffer.from(rgba), { raw: { width: w, height: h, channels: 4 } }).png().toBuffer();

beforeAll(async () => {
  service = new EngineService({ modelsDir: FIXTURES, userDataDir: path.join(tmp, 'user') });
  service.onRefineEvent((e) => events.push(e));
  const img = await decodeImage(PHOTO);
  W = img.width;
  H = img.height;
  strokesPng = await png(discStrokes(W, H, 150, 120, 14, [200, 190, 170]), W, H);
});
afterAll(async () => {
  await service.dispose();
  rmrf(tmp);
});

async function refine(req: RefineRequest) {
  events = [];
  const { jobId } = await service.startRefine(req);
  const round = await service.getRefineResult(jobId);
  return { jobId, round, events: events.filter((e) => e.jobId === jobId) };
}

describe('refine through EngineService', () => {
  it('reports provider, each step and done; the round previews at full size; the saved file is the photo outside the mask', async () => {
    const { jobId, round, events: ev } = await refine({ source: { path: PHOTO }, strokes: strokesPng, settings });
    expect(ev[0]).toMatchObject({ type: 'provider', jobId, report: { requested: 'cpu', used: 'cpu' } });
    expect(ev.filter((e) => e.type === 'step').map((e) => (e.type === 'step' ? [e.step, e.steps] : []))).toEqual([[1, 3], [2, 3], [3, 3]]);
    expect(ev[ev.length - 1]).toEqual({ type: 'done', jobId, ok: true });
    expect([round.preview.fullWidth, round.preview.fullHeight]).toEqual([W, H]);
    expect([round.preview.width, round.preview.height]).toEqual([W, H]);

    const out = await service.saveRound(round.roundId, path.join(tmp, 'r1.png'));
    const a = await decodeImage(PHOTO);
    const b = await decodeImage(out);
    expect([b.width, b.height]).toEqual([W, H]);
    // the mask reaches at most 14 (radius) + 16 (grow + feather) px from the centre (Chebyshev); beyond: bit-identical
    let inside = 0;
    let far = 0;
    let farDiffer = 0;
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const isFar = Math.max(Math.abs(x - 150), Math.abs(y - 120)) > 14 + 16;
        for (let c = 0; c < 3; c++) {
          const i = 3 * (y * W + x) + c;
          if (isFar) {
            far++;
            if (b.rgb[i] !== a.rgb[i]) farDiffer++;
          } else if (Math.hypot(x - 150, y - 120) < 10 && b.rgb[i] !== a.rgb[i]) inside++;
        }
      }
    }
    expect(far).toBeGreaterThan(0.9 * 3 * W * H);
    expect(farDiffer).toBe(0);
    expect(inside).toBeGreaterThan(100);
    expect(fs.readdirSync(tmp).filter((f) => f.includes('.tmp'))).toEqual([]);
  });

  it('same request, same seed: the same pixels; rounds on top of rounds, and back to any earlier one', async () => {
    const r1 = await refine({ source: { path: PHOTO }, strokes: strokesPng, settings });
    const again = await refine({ source: { path: PHOTO }, strokes: strokesPng, settings });
    const p1 = await service.saveRound(r1.round.roundId, path.join(tmp, 'a1.png'));
    const p1b = await service.saveRound(again.round.roundId, path.join(tmp, 'a1b.png'));
    expect(Buffer.from((await decodeImage(p1)).rgb).equals(Buffer.from((await decodeImage(p1b)).rgb))).toBe(true);

    const more = await png(discStrokes(W, H, 80, 300, 10, [40, 60, 90]), W, H);
    const r2 = await refine({ source: { roundId: r1.round.roundId }, strokes: more, settings });
    const p2 = await service.saveRound(r2.round.roundId, path.join(tmp, 'a2.png'));
    const i1 = await decodeImage(p1);
    const i2 = await decodeImage(p2);
    const at = (img: typeof i1, x: number, y: number) => Array.from(img.rgb.subarray(3 * (y * W + x), 3 * (y * W + x) + 3));
    expect(at(i2, 150, 120)).toEqual(at(i1, 150, 120)); // round 2 keeps round 1's change
    expect(at(i2, 80, 300)).not.toEqual(at(i1, 80, 300)); // and adds its own
    // revert: round 1 is still there and saves the same pixels as before
    const back = await service.saveRound(r1.round.roundId, path.join(tmp, 'a1-again.png'));
    expect(Buffer.from((await decodeImage(back)).rgb).equals(Buffer.from(i1.rgb))).toBe(true);
    // a round started from a round never writes over the first photo
    await expect(service.saveRound(r2.round.roundId, PHOTO)).rejects.toThrow(/original/);
  });

  it('cancel stops the job between steps: done with cancelled, no round', async () => {
    events = [];
    const { jobId } = await service.startRefine({ source: { path: PHOTO }, strokes: strokesPng, settings: { ...settings, steps: 200 } });
    const off = service.onRefineEvent((e) => {
      if (e.type === 'step' && e.step === 2) void service.cancelRefine(jobId);
    });
    await expect(service.getRefineResult(jobId)).rejects.toThrow(/cancelled/);
    off();
    const ev = events.filter((e) => e.jobId === jobId);
    expect(ev[ev.length - 1]).toEqual({ type: 'done', jobId, ok: false, cancelled: true });
    expect(ev.filter((e) => e.type === 'step').length).toBeLessThan(5);
  });

  it('a problem ends the job with words, not a crash', async () => {
    const small = await png(new Uint8Array(10 * 10 * 4).fill(255), 10, 10);
    events = [];
    const { jobId } = await service.startRefine({ source: { path: PHOTO }, strokes: small, settings });
    await expect(service.getRefineResult(jobId)).rejects.toThrow(/same size/);
    expect(events.find((e) => e.jobId === jobId && e.type === 'done')).toMatchObject({ ok: false, error: expect.stringMatching(/10x10 but the photo is 298x450/) });
    const empty = await png(new Uint8Array(W * H * 4), W, H);
    const j2 = await service.startRefine({ source: { path: PHOTO }, strokes: empty, settings });
    await expect(service.getRefineResult(j2.jobId)).rejects.toThrow(/nothing is painted/);
    await expect(service.startRefine({ source: { roundId: 'nope' }, strokes: empty, settings }).then((j) => service.getRefineResult(j.jobId))).rejects.toThrow(/no refine round/);
  });
});

describe('RefineRunner rounds', () => {
  it('keeps at most maxRounds; older ones are dropped with their files', async () => {
    const sessions = new SessionCache();
    const runner = engineRefineRunner({ modelsDir: FIXTURES, sessions }, { maxRounds: 2, inMemory: 1, tmpRoot: tmp });
    const small = path.join(tmp, 'small.png');
    await sharp(PHOTO).extract({ left: 100, top: 100, width: 64, height: 48 }).png().toFile(small);
    const strokes = await png(discStrokes(64, 48, 30, 20, 5), 64, 48);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push(await runner.wait(runner.start({ source: { path: small }, strokes, settings: { ...settings, seed: i } })));
    expect(runner.roundIds()).toEqual(ids.slice(1));
    await expect(runner.saveRound(ids[0], path.join(tmp, 'gone.png'))).rejects.toThrow(/dropped/);
    // a round only kept on disk (inMemory 1) still saves correctly
    const p = await runner.saveRound(ids[1], path.join(tmp, 'kept.png'));
    expect((await decodeImage(p)).width).toBe(64);
    const dir = fs.readdirSync(tmp).find((f) => f.startsWith('revive-rounds-'))!;
    expect(fs.readdirSync(path.join(tmp, dir)).length).toBe(2);
    runner.dispose();
    expect(fs.existsSync(path.join(tmp, dir))).toBe(false);
    await sessions.dispose();
  });
});
