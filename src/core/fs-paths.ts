// How the engine compares and names paths: folded to lower case on the case-insensitive file systems of Windows and
// macOS, and resolved through symlinks (for a file that does not exist yet, through its folder's).
//
// File names that are not valid UTF-8 (Linux allows any bytes; old archives carry Latin-1 names such as "caf\xe9.jpg")
// are kept as strings the way Python's "surrogateescape" does: each byte of an invalid sequence becomes the lone
// surrogate U+DC80..U+DCFF. Such a string names exactly that file (fsPath turns it back into the bytes), survives JSON
// and IPC, and the byte is visible (the CLI prints it as \xe9). Output names get the byte's Windows-1252/Latin-1
// character instead (displayName: "café.jpg"), so every output name is valid UTF-8.
import { realpathSync } from 'node:fs';
import path from 'node:path';

const caseInsensitiveFs = process.platform === 'win32' || process.platform === 'darwin';
/** Windows names are UTF-16 (Node passes lone surrogates through as they are): no byte escapes there. */
const bytePaths = process.platform !== 'win32';

/** The form of a path two names of one file share on this platform's file system (case folded where it ignores case). */
export function pathKey(p: string): string {
  return caseInsensitiveFs ? p.toLowerCase() : p;
}

/** A lone low surrogate in U+DC80..U+DCFF: an escaped byte (one not part of a surrogate pair). */
const ESCAPE = /(?<![\uD800-\uDBFF])[\uDC80-\uDCFF]/g;
const HAS_ESCAPE = /(?<![\uD800-\uDBFF])[\uDC80-\uDCFF]/;

/** Whether this path carries escaped bytes (a name that is not valid UTF-8). */
export function hasEscapedBytes(p: string): boolean {
  return bytePaths && HAS_ESCAPE.test(p);
}

/** A name's bytes as a string: valid UTF-8 as it is, each byte of an invalid sequence as U+DC80..U+DCFF. */
export function nameFromBytes(b: Uint8Array): string {
  const buf = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  const fast = buf.toString('utf8');
  if (!fast.includes('\uFFFD') || Buffer.from(fast, 'utf8').equals(buf)) return fast;
  let out = '';
  let i = 0;
  while (i < buf.length) {
    const c = buf[i];
    if (c < 0x80) {
      out += String.fromCharCode(c);
      i++;
      continue;
    }
    let n = 0;
    let cp = 0;
    let min = 0;
    if (c >= 0xc2 && c <= 0xdf) [n, cp, min] = [1, c & 0x1f, 0x80];
    else if (c >= 0xe0 && c <= 0xef) [n, cp, min] = [2, c & 0x0f, 0x800];
    else if (c >= 0xf0 && c <= 0xf4) [n, cp, min] = [3, c & 0x07, 0x10000];
    let ok = n > 0 && i + n < buf.length;
    for (let k = 1; ok && k <= n; k++) {
      const d = buf[i + k];
      if ((d & 0xc0) !== 0x80) ok = false;
      else cp = (cp << 6) | (d & 0x3f);
    }
    if (ok && cp >= min && cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff)) {
      out += String.fromCodePoint(cp);
      i += n + 1;
    } else {
      out += String.fromCharCode(0xdc00 + c);
      i++;
    }
  }
  return out;
}

/** The bytes a name stands for: UTF-8, with escaped bytes (nameFromBytes) put back as they were. */
export function bytesOfName(s: string): Buffer {
  if (!hasEscapedBytes(s)) return Buffer.from(s, 'utf8');
  const parts: Buffer[] = [];
  let last = 0;
  for (const m of s.matchAll(ESCAPE)) {
    parts.push(Buffer.from(s.slice(last, m.index), 'utf8'), Buffer.from([m[0].charCodeAt(0) - 0xdc00]));
    last = m.index + 1;
  }
  parts.push(Buffer.from(s.slice(last), 'utf8'));
  return Buffer.concat(parts);
}

/** What to hand to node:fs for this path: the string, or its bytes when it carries escaped bytes. */
export function fsPath(p: string): string | Buffer {
  return hasEscapedBytes(p) ? bytesOfName(p) : p;
}

// Windows-1252's characters for 0x80..0x9F (where Latin-1 has control characters); "_" for its five unused codes
const CP1252 =
  '\u20ac_\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152_\u017d_' +
  '_\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153_\u017e\u0178';

/** A name for people and for output files: each escaped byte read as Windows-1252 (Latin-1 from 0xA0 up). */
export function displayName(s: string): string {
  if (!hasEscapedBytes(s)) return s;
  return s.replace(ESCAPE, (c) => {
    const b = c.charCodeAt(0) - 0xdc00;
    return b < 0xa0 ? CP1252[b - 0x80] : String.fromCharCode(b);
  });
}

/** The real path: symlinks resolved; a path that does not exist resolved through its folder; else as given, absolute. */
export function realPath(p: string): string {
  const real = (q: string) =>
    hasEscapedBytes(q) ? nameFromBytes(realpathSync.native(bytesOfName(q), { encoding: 'buffer' })) : realpathSync.native(q);
  try {
    return real(p);
  } catch {
    try {
      return path.join(real(path.dirname(p)), path.basename(p));
    } catch {
      return path.resolve(p);
    }
  }
}
