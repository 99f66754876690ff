// A 50-megapixel photo restores through the built CLI (decode -> tiled inference -> encode) with a peak RSS under
// 2 GB: measured in the child process itself (VmHWM from /proc/self/status at exit), with the cheap fixture model.
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crops, FIXTURES, rmrf, tmpDir } from '../unit/restore-helpers';
import { buildCli, runNode } from './cli-helpers';

const tmp = tmpDir('memory');
const W = 8660;
const H = 5774; // 50.0 megapixels
let cli: string;
let big: string;

beforeAll(async () => {
  cli = await buildCli(path.join(tmp, 'out'));
  big = path.join(tmp, 'big-50mp.jpg');
  // a real photo scaled up to 50 MP (JPEG, as a scanner or camera would give)
  await sharp(crops(1)[0]).resize(W, H, { fit: 'fill' }).jpeg({ quality: 85 }).toFile(big);
}, 120_000);
afterAll(() => rmrf(tmp));

describe('memory', () => {
  it('restores a 50-megapixel photo with a peak RSS under 2 GB', async () => {
    const hwmFile = path.join(tmp, 'hwm.txt');
    const hook = path.join(tmp, 'hwm.cjs');
    fs.writeFileSync(
      hook,
      `process.on('exit', () => { const m = /VmHWM:\\s+(\\d+) kB/.exec(require('fs').readFileSync('/proc/self/status', 'utf8'));` +
        ` require('fs').writeFileSync(${JSON.stringify(hwmFile)}, m ? m[1] : '-1'); });\n`,
    );
    const out = path.join(tmp, 'restored');
    const r = await runNode(['-r', hook, cli, 'restore', big, '--out', out, '--json', '--tile', '512'], {
      env: { REVIVE_MODELS_DIR: FIXTURES },
      timeoutMs: 170_000,
    });
    expect(r.stderr).not.toMatch(/error/i);
    expect(r.code).toBe(0);
    const line = JSON.parse(r.stdout.trim().split('\n')[0]);
    expect(line.status).toBe('ok');
    const meta = await sharp(line.output).metadata();
    expect([meta.width, meta.height]).toEqual([W, H]);
    const peakMB = Number(fs.readFileSync(hwmFile, 'utf8')) / 1024;
    console.log(`50 MP restore: ${(r.ms / 1000).toFixed(1)} s wall, peak RSS ${peakMB.toFixed(0)} MB`);
    expect(peakMB).toBeGreaterThan(150); // it really held the photo (50 MP x 3 bytes)
    expect(peakMB).toBeLessThan(2048);
  }, 180_000);
});
