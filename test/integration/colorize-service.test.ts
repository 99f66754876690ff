// EngineService.colorize (the app's one colorize method, through the same dispatcher main uses): a preview at a
// reduced size from strokes painted at that size, then the full-resolution result as a round that saves like any.
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { EngineService } from '../../src/core/service';
import { decodeImage } from '../../src/core/image/decode';
import { PathGrants } from '../../src/main/grants';
import { createDispatcher } from '../../src/main/dispatch';
import { discStrokes } from '../unit/refine-helpers';
import { FIXTURES, ROOT, rmrf, tmpDir } from '../unit/restore-helpers';

const tmp = tmpDir('colorize-service');
const PHOTO = path.join(ROOT, 'samples/bearded-man.jpg'); // 372 x 524
const service = new EngineService({ modelsDir: FIXTURES, userDataDir: path.join(tmp, 'user') });
const grants = new PathGrants(process.platform);
grants.grantRead(PHOTO); // as if dropped on the window
grants.grantFolder(tmp); // as if chosen as the output folder
const call = createDispatcher({ engine: service, grants, chooseFolder: async () => null, showInFolder: async () => undefined, setUnsavedWork: () => undefined });
afterAll(async () => {
  await service.dispose();
  rmrf(tmp);
});

const png = (s: Uint8Array, w: number, h: number) => sharp(Buffer.from(s), { raw: { width: w, height: h, channels: 4 } }).png().toBuffer();

describe('EngineService.colorize', () => {
  it('previews at a reduced size, then keeps the full-resolution result as a round', async () => {
    const small = await png(discStrokes(186, 262, 95, 235, 8, [30, 50, 160]), 186, 262); // painted on a half-size view
    const p = (await call('colorize', [{ source: { path: PHOTO }, strokes: new Uint8Array(small), previewSize: 262 }])) as {
      roundId?: string;
      preview: { width: number; height: number; fullWidth: number; bytes: Uint8Array };
    };
    expect(p.roundId).toBeUndefined();
    expect([p.preview.width, p.preview.height]).toEqual([186, 262]);
    const look = await sharp(p.preview.bytes).raw().toBuffer();
    const at = 3 * (235 * 186 + 95);
    expect(look[at + 2]).toBeGreaterThan(look[at] + 20); // blue where painted

    const full = await png(discStrokes(372, 524, 190, 470, 16, [30, 50, 160]), 372, 524);
    const r = (await call('colorize', [{ source: { path: PHOTO }, strokes: new Uint8Array(full) }])) as { roundId: string; preview: { fullWidth: number } };
    expect(r.roundId).toMatch(/^[A-Za-z0-9-]+$/);
    expect(r.preview.fullWidth).toBe(372);
    const out = path.join(tmp, 'coloured.png');
    expect(await call('saveRound', [r.roundId, out])).toBe(out);
    const img = await decodeImage(out);
    const i = 3 * (470 * 372 + 190);
    expect(img.rgb[i + 2]).toBeGreaterThan(img.rgb[i] + 20);
    // over the original: main refuses (a file the app did not make), and so would the engine on its own
    grants.grantFolder(path.dirname(PHOTO));
    await expect(call('saveRound', [r.roundId, PHOTO])).rejects.toThrow(/already there and Revive did not make it/);
    await expect(service.saveRound(r.roundId, PHOTO)).rejects.toThrow(/original/);
    expect(fs.existsSync(out)).toBe(true);
    // a round is a source like a file (colour on colour)
    const again = (await call('colorize', [{ source: { roundId: r.roundId }, strokes: new Uint8Array(full) }])) as { roundId: string };
    expect(again.roundId).not.toBe(r.roundId);
  });

  it('says what is wrong with strokes of another size at full resolution', async () => {
    const small = await png(discStrokes(10, 10, 5, 5, 3), 10, 10);
    await expect(call('colorize', [{ source: { path: PHOTO }, strokes: new Uint8Array(small) }])).rejects.toThrow(/must be the same size/);
  });
});
