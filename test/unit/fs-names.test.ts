// File names that are not UTF-8 (src/core/fs-paths.ts): kept byte for byte as escapes, turned back into the exact
// bytes for node:fs, shown and used for outputs as Latin-1/Windows-1252 text, printed as \xNN by the CLI, and read
// from /proc/self/cmdline when Node's argv lost them.
import { describe, expect, it } from 'vitest';
import { commandArgs, printable } from '../../src/cli/io';
import { bytesOfName, displayName, fsPath, hasEscapedBytes, nameFromBytes } from '../../src/core/fs-paths';

const linux = process.platform === 'linux';

describe('names as bytes', () => {
  it('valid UTF-8 is kept as it is; other bytes become U+DC80..U+DCFF and go back to the same bytes', () => {
    for (const s of ['plain.jpg', 'café 写真 😀.png', 'a\uFFFDb.png']) {
      expect(nameFromBytes(Buffer.from(s))).toBe(s);
      expect(bytesOfName(s).equals(Buffer.from(s))).toBe(true);
    }
    const cases: number[][] = [
      [0x63, 0x61, 0x66, 0xe9, 0x2e, 0x6a, 0x70, 0x67], // Latin-1 "café.jpg"
      [0xc3, 0x28], // a lead byte without its continuation
      [0xe2, 0x82], // cut short
      [0xc0, 0xaf], // overlong "/"
      [0xed, 0xa0, 0x80], // an encoded surrogate
      [0xf4, 0x90, 0x80, 0x80], // above U+10FFFF
      [0xe6, 0x97, 0xa5, 0xff, 0xf0, 0x9f, 0x98, 0x80], // good, bad, good (an emoji)
    ];
    for (const bytes of cases) {
      const name = nameFromBytes(Buffer.from(bytes));
      expect(hasEscapedBytes(name)).toBe(linux);
      expect([...bytesOfName(name)]).toEqual(bytes);
    }
    expect(nameFromBytes(Buffer.from([0x63, 0x61, 0x66, 0xe9]))).toBe('caf\udce9');
    expect(nameFromBytes(Buffer.from([0xe6, 0x97, 0xa5, 0xff, 0xf0, 0x9f, 0x98, 0x80]))).toBe('日\udcff😀');
  });

  it.runIf(linux)('hands node:fs the bytes, people and output names the Latin-1 text', () => {
    expect(fsPath('/a/plain.jpg')).toBe('/a/plain.jpg');
    expect([...(fsPath('/a/caf\udce9.jpg') as Buffer)]).toEqual([...Buffer.from('/a/caf'), 0xe9, ...Buffer.from('.jpg')]);
    expect(displayName('caf\udce9.jpg')).toBe('café.jpg');
    expect(displayName('\udc80 \udc93quote\udc94')).toBe('€ “quote”');
    expect(displayName('x 😀.jpg')).toBe('x 😀.jpg'); // a real surrogate pair is not an escape
  });

  it('the CLI prints the bytes as \\xNN, and control characters escaped', () => {
    expect(printable('caf\udce9.jpg')).toBe('caf\\xe9.jpg');
    expect(printable('a\u001b[31m\nb 😀')).toBe('a\\x1b[31m\\nb 😀');
  });

  it.runIf(linux)('reads arguments Node decoded lossily from the exact bytes of the command line', () => {
    const raw = Buffer.concat([
      Buffer.from('node\0--stack-size=2000\0/x/revive.js\0restore\0/in/caf'),
      Buffer.from([0xe9]),
      Buffer.from('.jpg\0--out\0/o\0'),
    ]);
    const argv = ['node', '/x/revive.js', 'restore', '/in/caf\uFFFD.jpg', '--out', '/o'];
    expect(commandArgs(argv, () => raw)).toEqual(['restore', '/in/caf\udce9.jpg', '--out', '/o']);
    // arguments that do not line up with the command line: argv as it is
    expect(commandArgs(['node', 'x', 'a\uFFFD'], () => Buffer.from('node\0x\0b\0'))).toEqual(['a\uFFFD']);
    expect(commandArgs(['node', 'x', 'plain'], () => raw)).toEqual(['plain']);
  });
});
