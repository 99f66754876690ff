// The app's security policy as plain data and pure functions (no electron import, so tests run them in plain Node):
// the window's web preferences, the Content-Security-Policy, which URLs count as the app's own page, and how an
// app:// request maps to a file of the built renderer.
import path from 'node:path';

/** The privileged scheme the renderer is served from in production: app://revive/index.html. */
export const APP_SCHEME = 'app';
export const APP_HOST = 'revive';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_ENTRY = `${APP_ORIGIN}/index.html`;

/**
 * The Content-Security-Policy of the page (also in src/renderer/index.html as a meta tag, and sent as a header by the
 * app:// handler and by the e2e test server). Only the app's own scripts run; images may also be blob: (previews)
 * and data: URLs; nothing is fetched from the network; no eval.
 */
export const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' blob: data:",
  "font-src 'self'",
  "connect-src 'self'",
  "media-src 'none'",
  "object-src 'none'",
  "frame-src 'none'",
  "worker-src 'self' blob:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Web preferences of the app's window: isolated, sandboxed, no Node in the page. */
export function secureWebPreferences(preload: string, devTools: boolean) {
  return {
    preload,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    experimentalFeatures: false,
    webviewTag: false,
    navigateOnDragDrop: false,
    spellcheck: false,
    devTools,
  } as const;
}

function parse(u: string): URL | null {
  try {
    return new URL(u);
  } catch {
    return null;
  }
}

/**
 * Whether `url` is the app's own page, given the URL the window loads (app://revive/index.html, or the dev server's
 * http://localhost:5173/ under `npm run dev`). Same origin and the same document; query and hash may differ.
 */
export function isAppUrl(url: string | null | undefined, appUrl: string): boolean {
  if (!url) return false;
  const a = parse(url);
  const b = parse(appUrl);
  if (!a || !b) return false;
  if (a.protocol !== b.protocol || a.host !== b.host) return false;
  const doc = (p: string) => (p === '/' || p === '' ? '/index.html' : p);
  return doc(a.pathname) === doc(b.pathname);
}

/** The minimal view of an IPC sender frame that the check needs (WebFrameMain satisfies it). */
export interface SenderFrame {
  url: string;
  parent: unknown;
}

/** An IPC message is trusted only when it comes from the top frame of the app's own page. */
export function isTrustedSender(frame: SenderFrame | null | undefined, appUrl: string): boolean {
  return !!frame && frame.parent === null && isAppUrl(frame.url, appUrl);
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
};

export function mimeType(file: string): string {
  return MIME[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}

/**
 * The file of the built renderer (under `root`) that an app:// URL names, or null when the URL is not the app's
 * origin or escapes `root` (.., encoded separators, absolute paths).
 */
export function resolveAppFile(url: string, root: string): string | null {
  const u = parse(url);
  if (!u || u.protocol !== `${APP_SCHEME}:` || u.host !== APP_HOST) return null;
  let rel: string;
  try {
    rel = decodeURIComponent(u.pathname);
  } catch {
    return null;
  }
  if (rel.includes('\0') || rel.includes('\\')) return null;
  if (rel === '/' || rel === '') rel = '/index.html';
  const base = path.resolve(root);
  const file = path.resolve(base, `.${rel}`);
  if (file !== base && !file.startsWith(base + path.sep)) return null;
  return file;
}
