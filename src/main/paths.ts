// Where the packaged or development app finds its pieces. Pure (no electron import): main passes app's values in.
import path from 'node:path';

export interface AppLocation {
  isPackaged: boolean;
  /** process.resourcesPath (packaged: the folder holding app.asar and electron-builder's extraResources). */
  resourcesPath: string;
  /** app.getAppPath() (development: the repository root). */
  appPath: string;
  env?: Record<string, string | undefined>;
}

/**
 * The models folder handed to the engine: $REVIVE_MODELS_DIR when set; packaged, resources/models (electron-builder
 * copies models/ there as extraResources, outside the asar, so onnxruntime can open the files); in development the
 * repository's models/.
 */
export function modelsDirFor(loc: AppLocation): string {
  const fromEnv = loc.env?.REVIVE_MODELS_DIR;
  if (fromEnv) return path.resolve(fromEnv);
  return loc.isPackaged ? path.join(loc.resourcesPath, 'models') : path.join(loc.appPath, 'models');
}

/** Whether a URL is a dev server on this machine: http(s) on localhost, 127.0.0.1 or [::1]. */
export function isLoopbackUrl(url: string): boolean {
  try {
    const u = new URL(url);
    return (u.protocol === 'http:' || u.protocol === 'https:') && ['localhost', '127.0.0.1', '[::1]'].includes(u.hostname);
  } catch {
    return false;
  }
}

/**
 * The URL the window loads (and the only origin main answers IPC from): electron-vite's dev server
 * (ELECTRON_RENDERER_URL) under `npm run dev` only, i.e. never when packaged and only on this machine; else the
 * app:// page. A packaged app started with that variable set ignores it.
 */
export function windowUrlFor(isPackaged: boolean, env: Record<string, string | undefined>, appEntry: string): string {
  const dev = env.ELECTRON_RENDERER_URL;
  return !isPackaged && dev && isLoopbackUrl(dev) ? dev : appEntry;
}
