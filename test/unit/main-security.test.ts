// The security policy as data: web preferences, CSP (header and the page's meta tag), which URLs are the app's own
// page, how app:// maps to files (no escaping the renderer folder); plus where models are found, and what running
// jobs do to the desktop (taskbar progress, sleep blocker).
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { JobEffects } from '../../src/main/job-effects';
import { modelsDirFor, windowUrlFor } from '../../src/main/paths';
import {
  APP_ENTRY,
  CSP,
  isAppUrl,
  isTrustedSender,
  mimeType,
  resolveAppFile,
  secureWebPreferences,
} from '../../src/main/security';

const directives = (csp: string) =>
  Object.fromEntries(
    csp
      .split(';')
      .map((d) => d.trim())
      .filter(Boolean)
      .map((d) => {
        const [name, ...values] = d.split(/\s+/);
        return [name, values];
      }),
  );

describe('Content-Security-Policy', () => {
  it('lets only the app’s own code run and never allows eval', () => {
    const d = directives(CSP);
    expect(d['default-src']).toEqual(["'self'"]);
    expect(d['script-src']).toEqual(["'self'"]);
    expect(d['img-src']).toEqual(["'self'", 'blob:', 'data:']);
    expect(d['object-src']).toEqual(["'none'"]);
    expect(d['base-uri']).toEqual(["'none'"]);
    expect(d['frame-ancestors']).toEqual(["'none'"]);
    expect(CSP).not.toMatch(/unsafe-eval|unsafe-inline|\*|https?:/);
  });

  it('is the same in src/renderer/index.html (less frame-ancestors, which a meta tag cannot carry)', () => {
    const html = fs.readFileSync(path.resolve(__dirname, '../../src/renderer/index.html'), 'utf8');
    const meta = /http-equiv="Content-Security-Policy"\s+content="([^"]+)"/.exec(html);
    expect(meta).not.toBeNull();
    const want = directives(CSP);
    delete want['frame-ancestors'];
    expect(directives(meta![1])).toEqual(want);
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/); // no inline scripts
  });
});

describe('window', () => {
  it('is isolated and sandboxed, with no Node in the page', () => {
    const p = secureWebPreferences('/app/out/preload/index.js', false);
    expect(p).toMatchObject({
      preload: '/app/out/preload/index.js',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      devTools: false,
    });
  });

  it('loads the dev server only in development', () => {
    const env = { ELECTRON_RENDERER_URL: 'http://localhost:5173/' };
    expect(windowUrlFor(false, env, APP_ENTRY)).toBe('http://localhost:5173/');
    expect(windowUrlFor(true, env, APP_ENTRY)).toBe(APP_ENTRY);
    expect(windowUrlFor(false, {}, APP_ENTRY)).toBe(APP_ENTRY);
    // a dev server elsewhere than this machine is never trusted, not even in development
    for (const url of ['https://evil.example/', 'http://192.168.1.5:5173/', 'file:///tmp/index.html', 'not a url']) {
      expect(windowUrlFor(false, { ELECTRON_RENDERER_URL: url }, APP_ENTRY)).toBe(APP_ENTRY);
    }
    expect(windowUrlFor(false, { ELECTRON_RENDERER_URL: 'http://127.0.0.1:5173/' }, APP_ENTRY)).toBe('http://127.0.0.1:5173/');
    expect(windowUrlFor(true, { ELECTRON_RENDERER_URL: 'http://127.0.0.1:5173/' }, APP_ENTRY)).toBe(APP_ENTRY);
  });
});

describe("the app's own page", () => {
  it('is the same origin and document; anything else is not', () => {
    expect(isAppUrl('app://revive/index.html', APP_ENTRY)).toBe(true);
    expect(isAppUrl('app://revive/index.html?x=1#y', APP_ENTRY)).toBe(true);
    expect(isAppUrl('app://revive/', APP_ENTRY)).toBe(true);
    expect(isAppUrl('app://revive/other.html', APP_ENTRY)).toBe(false);
    expect(isAppUrl('app://evil/index.html', APP_ENTRY)).toBe(false);
    expect(isAppUrl('file:///index.html', APP_ENTRY)).toBe(false);
    expect(isAppUrl('https://example.com/', APP_ENTRY)).toBe(false);
    expect(isAppUrl('not a url', APP_ENTRY)).toBe(false);
    expect(isAppUrl('', APP_ENTRY)).toBe(false);
    expect(isAppUrl(null, APP_ENTRY)).toBe(false);
    expect(isAppUrl('http://localhost:5173/', 'http://localhost:5173/')).toBe(true);
    expect(isAppUrl('http://localhost:5174/', 'http://localhost:5173/')).toBe(false);
  });

  it('trusts IPC only from its top frame', () => {
    expect(isTrustedSender({ url: APP_ENTRY, parent: null }, APP_ENTRY)).toBe(true);
    expect(isTrustedSender({ url: APP_ENTRY, parent: {} }, APP_ENTRY)).toBe(false);
    expect(isTrustedSender({ url: 'https://x.example/', parent: null }, APP_ENTRY)).toBe(false);
    expect(isTrustedSender(null, APP_ENTRY)).toBe(false);
  });
});

describe('app:// files', () => {
  const root = path.resolve('/app/out/renderer');
  it('map inside the renderer folder', () => {
    expect(resolveAppFile('app://revive/index.html', root)).toBe(path.join(root, 'index.html'));
    expect(resolveAppFile('app://revive/', root)).toBe(path.join(root, 'index.html'));
    expect(resolveAppFile('app://revive/assets/index-abc.js', root)).toBe(path.join(root, 'assets/index-abc.js'));
    expect(resolveAppFile('app://revive/assets/a%20b.css', root)).toBe(path.join(root, 'assets/a b.css'));
  });

  it('never escape it, nor answer for another host or scheme', () => {
    const inside = (f: string | null) => f === null || f.startsWith(root + path.sep);
    for (const u of [
      'app://revive/../main/index.js', // the URL parser already folds this to /main/index.js, inside the root
      'app://revive/%2e%2e/%2e%2e/main/index.js',
      'app://revive/assets/..%2f..%2f..%2fmain%2findex.js',
      'app://revive/..%2F..%2F..%2F..%2Fetc%2Fpasswd',
    ]) {
      expect(inside(resolveAppFile(u, root)), u).toBe(true);
    }
    expect(resolveAppFile('app://revive/..%2F..%2F..%2F..%2Fetc%2Fpasswd', root)).toBeNull();
    for (const u of ['app://revive/..%5c..%5cwindows', 'app://revive/%00.html', 'app://revive/%E0%A4%A', 'app://other/index.html', 'file:///etc/passwd']) {
      expect(resolveAppFile(u, root), u).toBeNull();
    }
  });

  it('get the right content types', () => {
    expect(mimeType('a/index.html')).toMatch(/^text\/html/);
    expect(mimeType('a.JS')).toMatch(/^text\/javascript/);
    expect(mimeType('a.css')).toMatch(/^text\/css/);
    expect(mimeType('icon.png')).toBe('image/png');
    expect(mimeType('x.bin')).toBe('application/octet-stream');
  });
});

describe('models folder', () => {
  it('is resources/models when packaged, the repository’s models/ in development, or $REVIVE_MODELS_DIR', () => {
    const loc = { resourcesPath: '/opt/Revive/resources', appPath: '/src/revive' };
    expect(modelsDirFor({ ...loc, isPackaged: true })).toBe(path.join('/opt/Revive/resources', 'models'));
    expect(modelsDirFor({ ...loc, isPackaged: false })).toBe(path.join('/src/revive', 'models'));
    expect(modelsDirFor({ ...loc, isPackaged: true, env: { REVIVE_MODELS_DIR: '/m' } })).toBe(path.resolve('/m'));
  });
});

describe('JobEffects', () => {
  function make() {
    const hooks = { setProgress: vi.fn(), blockSleep: vi.fn(() => 42), unblockSleep: vi.fn() };
    return { hooks, fx: new JobEffects(hooks) };
  }

  it('keeps the computer awake and shows taskbar progress while a batch runs, and stops after', () => {
    const { hooks, fx } = make();
    fx.handle({ channel: 'job', event: { type: 'start', jobId: 'a', files: [] } });
    expect(hooks.blockSleep).toHaveBeenCalledTimes(1);
    expect(fx.sleepBlocked).toBe(true);
    fx.handle({ channel: 'job', event: { type: 'progress', jobId: 'a', done: 1, total: 4, fraction: 0.25, etaMs: 9 } });
    expect(hooks.setProgress).toHaveBeenLastCalledWith(0.25);
    fx.handle({ channel: 'job', event: { type: 'progress', jobId: 'a', done: 2, total: 4, fraction: 0.5, etaMs: 9 } });
    expect(hooks.setProgress).toHaveBeenLastCalledWith(0.5);
    fx.handle({ channel: 'job', event: { type: 'done', jobId: 'a', summary: { total: 4, ok: 4, failed: 0, skipped: 0, cancelled: 0, ms: 1 } } });
    expect(hooks.unblockSleep).toHaveBeenCalledWith(42);
    expect(hooks.setProgress).toHaveBeenLastCalledWith(-1);
    expect(fx.sleepBlocked).toBe(false);
  });

  it('counts restore and refine jobs together, one blocker for all, released once the last ends', () => {
    const { hooks, fx } = make();
    fx.handle({ channel: 'job', event: { type: 'progress', jobId: 'a', done: 0, total: 2, fraction: 0.5, etaMs: null } });
    fx.handle({ channel: 'refine', event: { type: 'step', jobId: 'r', step: 1, steps: 10, fraction: 0.1 } });
    expect(hooks.blockSleep).toHaveBeenCalledTimes(1);
    expect(hooks.setProgress).toHaveBeenLastCalledWith(0.3);
    fx.handle({ channel: 'refine', event: { type: 'done', jobId: 'r', ok: true } });
    expect(hooks.unblockSleep).not.toHaveBeenCalled();
    fx.handle({ channel: 'job', event: { type: 'done', jobId: 'a', summary: { total: 2, ok: 2, failed: 0, skipped: 0, cancelled: 0, ms: 1 } } });
    expect(hooks.unblockSleep).toHaveBeenCalledTimes(1);
    fx.handle({ channel: 'job', event: { type: 'done', jobId: 'zzz', summary: { total: 0, ok: 0, failed: 0, skipped: 0, cancelled: 0, ms: 0 } } });
    expect(hooks.unblockSleep).toHaveBeenCalledTimes(1);
  });

  it('releases everything on dispose', () => {
    const { hooks, fx } = make();
    fx.handle({ channel: 'job', event: { type: 'start', jobId: 'a', files: [] } });
    fx.dispose();
    expect(hooks.unblockSleep).toHaveBeenCalledWith(42);
    expect(hooks.setProgress).toHaveBeenLastCalledWith(-1);
  });
});
