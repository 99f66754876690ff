// What electron-vite built (the global setup builds it when stale): the sandboxed preload is one CommonJS file that
// requires nothing but electron; main and the engine's utility-process entry are CommonJS; the page carries the CSP
// and no inline script.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './harness';

const read = (f: string) => fs.readFileSync(path.join(ROOT, f), 'utf8');
const requires = (code: string) => [...code.matchAll(/\brequire\(\s*["']([^"']+)["']\s*\)/g)].map((m) => m[1]);
const isEsm = (code: string) => /^\s*(import\s[^(]|export\s)/m.test(code);

describe('build output', () => {
  it('the preload is a single CommonJS file that needs only electron (a sandboxed preload cannot load more)', () => {
    const files = fs.readdirSync(path.join(ROOT, 'out/preload'));
    expect(files).toEqual(['index.js']);
    const code = read('out/preload/index.js');
    expect(isEsm(code)).toBe(false);
    expect(new Set(requires(code))).toEqual(new Set(['electron']));
    expect(code).toContain('exposeInMainWorld("revive"');
  });

  it('main and the engine host are CommonJS entries; native packages stay outside the bundle', () => {
    const main = read('out/main/index.js');
    const host = read('out/main/engine-host.js');
    expect(isEsm(main)).toBe(false);
    expect(isEsm(host)).toBe(false);
    expect(requires(main)).toContain('electron');
    expect(requires(host)).toEqual(expect.arrayContaining(['sharp', 'onnxruntime-node']));
    expect(requires(host)).not.toContain('electron'); // the utility process needs no electron module
    expect(main).toContain('engine-host.js');
  });

  it('the page has the CSP meta tag and only external scripts', () => {
    const html = read('out/renderer/index.html');
    expect(html).toMatch(/http-equiv="Content-Security-Policy"/);
    expect(html).not.toMatch(/unsafe-(eval|inline)/);
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(fs.existsSync(path.join(ROOT, 'out/renderer/icon.png'))).toBe(true);
  });
});
