// End-to-end harness: the built renderer (out/renderer) served from 127.0.0.1 with the app's CSP, opened in Debian's
// Chromium through playwright-core, with window.revive implemented (test/e2e/page/revive-harness.js) by forwarding
// each call through a binding to main's own dispatcher (src/main/dispatch: the same validation) over a real
// EngineService running in this process. Only webUtils.getPathForFile is replaced (see revive-harness.js).
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { afterEach } from 'vitest';
import { EngineService } from '../../src/core/service';
import { createDispatcher } from '../../src/main/dispatch';
import { PathGrants } from '../../src/main/grants';
import { CSP, isTrustedSender, mimeType } from '../../src/main/security';
import { METHODS, type Method } from '../../src/shared/ipc';
import type { AppCommand } from '../../src/shared/api';

export const ROOT = path.resolve(__dirname, '../..');
export const RENDERER = path.join(ROOT, 'out/renderer');
/**
 * The models the engine loads: the shipped ones in models/ (the restorer and the diffusion prior the app bundles).
 * REVIVE_E2E_MODELS=test/fixtures/models runs the UI against the tiny fixture models instead, for quick iteration.
 */
export const MODELS = path.resolve(ROOT, process.env.REVIVE_E2E_MODELS ?? 'models');
export { CROPS, OLD_PHOTOS } from '../helpers/photos';
export const CHROMIUM = process.env.REVIVE_CHROMIUM ?? '/usr/bin/chromium';
/** Where the tests' screenshots go (to look at when one fails); docs-screenshots.shots.ts (npm run screenshots) writes docs/app-*.png. */
export const SHOTS = path.join(ROOT, 'test/.tmp/e2e-shots');

export function tmpDir(prefix: string): string {
  const base = path.join(ROOT, 'test/.tmp');
  fs.mkdirSync(base, { recursive: true });
  return fs.mkdtempSync(path.join(base, `${prefix}-`));
}

/** A static server for out/renderer that sends the app's CSP header, like main's app:// handler. */
export async function serveRenderer(root = RENDERER): Promise<{ url: string; close(): Promise<void> }> {
  const base = path.resolve(root);
  const server = http.createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://127.0.0.1');
    let rel = decodeURIComponent(u.pathname);
    if (rel === '/') rel = '/index.html';
    const file = path.resolve(base, `.${rel}`);
    if (!file.startsWith(base + path.sep) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      res.writeHead(404).end('Not found');
      return;
    }
    res.writeHead(200, { 'content-type': mimeType(file), 'content-security-policy': CSP, 'cache-control': 'no-store' });
    fs.createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/index.html`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

// ---- Uint8Array over JSON: { __u8: base64 } (the page side is in revive-harness.js) ----

export function encode(v: unknown): unknown {
  if (v instanceof Uint8Array) return { __u8: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64') };
  if (Array.isArray(v)) return v.map(encode);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, encode(x)]));
  return v;
}

export function decode(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(decode);
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if (typeof o.__u8 === 'string' && Object.keys(o).length === 1) return new Uint8Array(Buffer.from(o.__u8, 'base64'));
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, decode(x)]));
  }
  return v;
}

/** What the page's harness script offers to the tests. */
interface PageHarness {
  drop(selector: string, files: { name: string; path: string; size?: number; type?: string }[]): number;
}

export interface AppUnderTest {
  page: Page;
  engine: EngineService;
  /** Every request the page made, in order (method and decoded arguments). */
  calls: { method: string; args: unknown[] }[];
  /** Messages the page logged as errors, CSP violations and uncaught exceptions. */
  problems: string[];
  /** Requests the dispatcher refused or failed (method and message): a page that sends what main refuses is a bug. */
  refused: { method: string; error: string }[];
  /** What happened, with times: every request and reply, every engine event and when the page got it. Printed when a test fails. */
  trace: string[];
  /** The folder chooseFolder answers next (the dialog a person would use). */
  nextFolder: string | null;
  revealed: string[];
  /** What the page last said leaving would lose (setUnsavedWork; main's will-prevent-unload dialog shows it). */
  unsavedWork: string | null;
  /** What the page may touch (main's list, kept here the same way): tests may look, and grant as main would. */
  grants: PathGrants;
  /** Sends a command of the application menu to the page, as main does (EV.command). */
  command(c: AppCommand): Promise<void>;
  /** Drops real files or folders on the window, as a drag from the file manager would (granting them, as main does). */
  drop(paths: string[]): Promise<void>;
  /**
   * Whether the page refuses to unload now: dispatches a cancelable beforeunload, as closing or reloading the window
   * would (Electron then emits will-prevent-unload and main asks "Leave Revive?").
   */
  preventsUnload(): Promise<boolean>;
  screenshot(name: string): Promise<string>;
  close(): Promise<void>;
}

export interface LaunchOptions {
  userDataDir: string;
  /** Settings stored before the page opens (as a person's earlier session would have left them). */
  settings?: Parameters<EngineService['setSettings']>[0];
  viewport?: { width: number; height: number };
  /** Default: MODELS. */
  modelsDir?: string;
  /** Default: SHOTS. */
  shotsDir?: string;
  /** Milliseconds to hold these requests' replies back (an engine that starts slowly on a busy machine). */
  slowReplies?: Partial<Record<Method, number>>;
}

export async function launchApp(opts: LaunchOptions): Promise<AppUnderTest> {
  const engine = new EngineService({ modelsDir: opts.modelsDir ?? MODELS, userDataDir: opts.userDataDir });
  if (opts.settings) await engine.setSettings(opts.settings);
  const server = await serveRenderer();
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'revive-chromium-'));
  const context: BrowserContext = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
    viewport: opts.viewport ?? { width: 1440, height: 900 },
    deviceScaleFactor: 1,
    colorScheme: 'dark',
  });
  const page = context.pages()[0] ?? (await context.newPage());

  const grants = new PathGrants(process.platform);
  const t0 = Date.now();
  const note = (line: string) => {
    if (app.trace.length < 5000) app.trace.push(`${((Date.now() - t0) / 1000).toFixed(2).padStart(7)} s  ${line}`);
  };
  const app: AppUnderTest = {
    page,
    engine,
    calls: [],
    problems: [],
    refused: [],
    trace: [],
    nextFolder: null,
    revealed: [],
    unsavedWork: null,
    grants,
    async command(c) {
      // (runs in the page)
      await page.evaluate((cmd) => (globalThis as unknown as { __reviveEmit(ch: string, e: unknown): void }).__reviveEmit('command', cmd), c);
    },
    async drop(paths) {
      // what the preload does for each File of a drop (webUtils.getPathForFile, then GRANT_DROPPED to main)
      for (const p of paths) grants.grantDropped(p);
      const files = paths.map((p) => ({ name: path.basename(p), path: p, size: 0 }));
      // (runs in the page: only what is written inside the function exists there)
      await page.evaluate(
        ({ files }) =>
          (globalThis as unknown as { __reviveTest: PageHarness }).__reviveTest.drop('[data-testid="drop-zone"]', files),
        { files },
      );
    },
    preventsUnload() {
      // (runs in the page)
      return page.evaluate(() => {
        const e = new Event('beforeunload', { cancelable: true });
        (globalThis as unknown as EventTarget).dispatchEvent(e);
        return e.defaultPrevented;
      });
    },
    async screenshot(name) {
      const dir = opts.shotsDir ?? SHOTS;
      fs.mkdirSync(dir, { recursive: true });
      const file = path.join(dir, name);
      await page.screenshot({ path: file });
      return file;
    },
    async close() {
      live.delete(app);
      off();
      await context.close().catch(() => undefined);
      await server.close();
      await engine.dispose();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };

  page.on('console', (m) => {
    if (m.type() === 'error' || /Content Security Policy/i.test(m.text())) app.problems.push(m.text());
  });
  page.on('pageerror', (e) => app.problems.push(`uncaught: ${e.message}`));

  // the same dispatcher main uses: validate against the IPC table (src/shared/ipc), check the paths against what the
  // page was given (src/main/grants: main's list, kept the same way here), then call the side serving it
  const dispatch = createDispatcher({
    engine,
    grants,
    platform: process.platform,
    chooseFolder: async () => {
      const f = app.nextFolder;
      app.nextFolder = null;
      return f;
    },
    showInFolder: async (p) => {
      app.revealed.push(p);
    },
    setUnsavedWork: (summary) => {
      app.unsavedWork = summary;
    },
  });
  await page.exposeBinding('__reviveCall', async (source, method: string, args: unknown) => {
    // main's sender check: only the top frame of the app's own page may ask
    if (!isTrustedSender({ url: source.frame.url(), parent: source.frame.parentFrame() }, server.url)) {
      return { error: "Refused: this request did not come from Revive's own window." };
    }
    const decoded = decode(args) as unknown[];
    app.calls.push({ method, args: decoded });
    note(`call ${method}`);
    try {
      const hold = opts.slowReplies?.[method as Method];
      if (hold) await new Promise((r) => setTimeout(r, hold));
      const value = await dispatch(method as Method, decoded);
      note(`reply ${method}${value && typeof value === 'object' && 'jobId' in value ? ` ${String(value.jobId)}` : ''}`);
      return { value: encode(value) };
    } catch (e) {
      note(`reply ${method} error: ${e instanceof Error ? e.message : String(e)}`);
      app.refused.push({ method, error: e instanceof Error ? e.message : String(e) });
      return { error: e instanceof Error ? e.message : String(e) };
    }
  });
  // the request methods of the IPC table, for the page's window.revive (revive-harness.js makes one forwarder each)
  await page.addInitScript((methods: string[]) => {
    (globalThis as unknown as { __reviveMethods: string[] }).__reviveMethods = methods;
  }, METHODS);
  await page.addInitScript({ path: path.join(__dirname, 'page/revive-harness.js') });

  // engine events to the page, in order (each waits for the previous one to be delivered)
  let chain: Promise<unknown> = Promise.resolve();
  const off = engine.on((m) => {
    if (m.channel === 'job') grants.noteJobEvent(m.event); // as main does with the engine's events
    const payload = { channel: m.channel, event: encode(m.event) };
    const what = describeEvent(m.channel, m.event);
    note(`event ${what}`);
    chain = chain
      .then(() =>
        page.evaluate(
          ({ channel, event }) =>
            (globalThis as unknown as { __reviveEmit(c: string, e: unknown): void }).__reviveEmit(channel, event),
          payload,
        ),
      )
      .then(
        () => note(`delivered ${what}`),
        (e: unknown) => note(`NOT delivered ${what}: ${e instanceof Error ? e.message : String(e)}`),
      );
  });
  live.add(app);

  await page.goto(server.url);
  await page.getByTestId('status').waitFor();
  return app;
}

/** An engine event in one short line: channel, type, job and file index (no pixel data). */
function describeEvent(channel: string, event: unknown): string {
  const e = (event ?? {}) as Record<string, unknown>;
  const parts = [channel, String(e.type ?? '?')];
  if (e.jobId !== undefined) parts.push(String(e.jobId));
  if (e.index !== undefined) parts.push(`#${String(e.index)}`);
  if (e.type === 'file-done') parts.push(String((e.result as { status?: string } | undefined)?.status));
  return parts.join(' ');
}

// When a test fails, print the trace of every app still open: what the page asked, what the engine said and whether
// the page received it (a batch that never reached its summary once, and could not be reproduced, is why).
const live = new Set<AppUnderTest>();
afterEach((ctx) => {
  if (ctx.task.result?.state !== 'fail') return;
  for (const app of live) {
    const t = app.trace;
    console.error(`[e2e trace: ${t.length} lines${t.length > 400 ? ', the last 400' : ''}]\n${t.slice(-400).join('\n')}`);
  }
});

/** Waits until the element is visible (playwright-core has no test runner's expect; vitest's expect.poll does the rest). */
export async function visible(locator: Locator, timeout = 20_000): Promise<void> {
  await locator.waitFor({ state: 'visible', timeout });
}

/** Paints one stroke on Refine's canvas: from (dx, dy) off its middle, `len` px to the right, wavering a little. */
export async function paintStroke(page: Page, dx: number, dy: number, len: number): Promise<void> {
  const b = (await page.getByTestId('refine-canvas').boundingBox())!;
  const x = b.x + b.width / 2 + dx;
  const y = b.y + b.height / 2 + dy;
  await page.mouse.move(x, y);
  await page.mouse.down();
  for (let i = 1; i <= 8; i++) await page.mouse.move(x + (len * i) / 8, y + (i % 2) * 6);
  await page.mouse.up();
}
