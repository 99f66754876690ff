// electron-builder.yml: valid against electron-builder's own schema (no packaging here: that downloads Electron),
// and it ships what the app needs: out/, the models as resources next to app.asar, native modules unpacked.
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(__dirname, '../..');

interface BuilderConfig {
  appId: string;
  productName: string;
  files: (string | { filter: string[] })[];
  extraResources: { from: string; to: string; filter: string[] }[];
  asarUnpack: string[];
  linux: { target: string[] };
  win: { target: string[] };
  mac: { target: string[] };
}

async function load(): Promise<BuilderConfig> {
  // app-builder-lib is electron-builder's own configuration loader and validator
  const lib = (await import('app-builder-lib/out/util/config/config.js' as string)) as {
    getConfig(dir: string, file: string | null, opts: null): Promise<BuilderConfig>;
    validateConfiguration(c: BuilderConfig, log: { isEnabled: boolean; add(): void }): Promise<void>;
  };
  const config = await lib.getConfig(ROOT, null, null);
  await lib.validateConfiguration(config, { isEnabled: false, add() {} });
  return config;
}

describe('electron-builder config', () => {
  it('is valid and packages Revive from out/ with the models beside it and native modules unpacked', async () => {
    const c = await load();
    expect(c.productName).toBe('Revive');
    expect(c.appId).toMatch(/^[a-z0-9.-]+$/);
    expect(c.files.flatMap((f) => (typeof f === 'string' ? [f] : f.filter))).toContain('out/**');
    expect(c.extraResources).toContainEqual(expect.objectContaining({ from: 'models', to: 'models' }));
    expect(c.asarUnpack).toEqual(expect.arrayContaining(['node_modules/sharp/**', 'node_modules/@img/**', 'node_modules/onnxruntime-node/**']));
    expect(c.linux.target).toEqual(['AppImage', 'deb']);
    expect(c.win.target).toEqual(['nsis']);
    expect(c.mac.target).toEqual(['dmg']);
  }, 30_000);
});
