// Writing outputs safely whatever the name and whatever happened before: temp names within the file system's 255
// bytes for long UTF-8 names, stale temps of killed writers cleaned at the next write, names printed safely.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { printable } from '../../src/cli/io';
import { cleanStaleTemps, encodeImage, tempName, truncateUtf8 } from '../../src/core/image/encode';
import type { DecodedImage } from '../../src/core/image/types';
import { rmrf, tmpDir } from './restore-helpers';

const tmp = tmpDir('write-safety');
afterAll(() => rmrf(tmp));

function tiny(): DecodedImage {
  const rgb = new Uint8Array(8 * 6 * 3).map((_, i) => (i * 37) & 255);
  return { width: 8, height: 6, bitDepth: 8, rgb, meta: {} } as unknown as DecodedImage;
}

/** A pid that certainly belongs to no running process: one that has just exited. */
function deadPid(): number {
  return Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);
}

describe('temp names', () => {
  it('truncateUtf8 cuts at a character boundary within the byte budget', () => {
    expect(truncateUtf8('abc', 10)).toBe('abc');
    expect(truncateUtf8('日本語', 7)).toBe('日本'); // 3 bytes each
    expect(truncateUtf8('a😀b', 4)).toBe('a'); // the emoji is 4 bytes
  });

  it('stays within 255 bytes for a 244-byte CJK or emoji name', () => {
    for (const name of ['写'.repeat(80) + '.png', '📷'.repeat(60) + '.jpeg']) {
      expect(Buffer.byteLength(name)).toBeGreaterThanOrEqual(240);
      const t = tempName(name);
      expect(Buffer.byteLength(t)).toBeLessThanOrEqual(255);
      expect(t.startsWith('.')).toBe(true);
      expect(t).toContain('.revive-tmp-');
    }
  });

  it('a photo with a 244-byte UTF-8 name is written (the temp name counted in bytes, not UTF-16 units)', async () => {
    const name = '写真'.repeat(40) + '.png';
    expect(Buffer.byteLength(name)).toBe(244);
    const out = await encodeImage(tiny(), path.join(tmp, name), { format: 'png', quality: 92 });
    expect(fs.existsSync(out)).toBe(true);
    expect(fs.readdirSync(tmp).filter((n) => n.includes('revive-tmp'))).toEqual([]);
  });
});

describe('stale temps', () => {
  it('the next write into a folder removes temps of dead writers of this machine and very old ones, not live ones', async () => {
    const dir = path.join(tmp, 'stale');
    fs.mkdirSync(dir);
    const dead = tempName('a.png', deadPid());
    const mine = tempName('b.png'); // this process: alive
    const foreign = '.c.png.revive-tmp-zzzzzz-1-abcdef'; // another machine's (host tag not ours), fresh
    const ancient = '.d.png.revive-tmp-zzzzzz-1-abcdef12';
    for (const n of [dead, mine, foreign, ancient]) fs.writeFileSync(path.join(dir, n), '');
    const old = Date.now() / 1000 - 3 * 24 * 3600;
    fs.utimesSync(path.join(dir, ancient), old, old);
    const removed = await cleanStaleTemps(dir);
    expect(removed.sort()).toEqual([ancient, dead].sort());
    expect(fs.readdirSync(dir).sort()).toEqual([foreign, mine].sort());
  });

  it('an unreadable or missing folder is left alone without an error', async () => {
    expect(await cleanStaleTemps(path.join(tmp, 'no-such-folder'))).toEqual([]);
  });
});

describe('printable', () => {
  it('escapes control characters and escape sequences, keeps every other character', () => {
    expect(printable('evil\u001b[31mred\u0007.png')).toBe('evil\\x1b[31mred\\x07.png');
    expect(printable('a\nb\tc\rd\u009b')).toBe('a\\nb\\tc\\rd\\x9b');
    expect(printable('写真 📷 é.png')).toBe('写真 📷 é.png');
  });
});
