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

/** The URL the window loads: the dev server's under `npm run dev` (never when packaged), else the app:// page. */
export function windowUrlFor(isPackaged: boolean, env: Record<string, string | undefined>, appEntry: string): string {
  const dev = env.ELECTRON_RENDERER_URL;
  return !isPackaged && dev ? dev : appEntry;
}
