// electron-builder.yml: valid against electron-builder's own schema (no packaging here: that downloads Electron),
// and it ships what the app needs: out/, the models as resources next to app.asar, native modules unpacked.
import fs from 'node:fs';
import path from 'node:path';
import { minimatch } from 'minimatch';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(__dirname, '../..');

interface BuilderConfig {
  appId: string;
  productName: string;
  files: (string | { filter: string[] })[];
  extraResources: { from: string; to: string; filter: string[] }[];
  asarUnpack: string[];
  linux: { target: string[]; files?: string[] };
  win: { target: string[]; files?: string[] };
  mac: { target: string[]; files?: string[] };
  electronFuses?: Record<string, boolean>;
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
  it('flips the Electron fuses that would let the app be used as a plain Node runtime or load code from outside its asar', async () => {
    const c = await load();
    expect(c.electronFuses).toEqual(
      expect.objectContaining({
        runAsNode: false,
        enableNodeOptionsEnvironmentVariable: false,
        enableNodeCliInspectArguments: false,
        enableCookieEncryption: true,
        enableEmbeddedAsarIntegrityValidation: true,
        onlyLoadAppFromAsar: true,
      }),
    );
  });

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

describe('execution providers in each build', () => {
  const ORT = path.join(ROOT, 'node_modules/onnxruntime-node');
  /** onnxruntime-node's native files a platform's package keeps, by the config's exclusion patterns. */
  function kept(files: string[], c: BuilderConfig, os: 'linux' | 'win' | 'mac'): string[] {
    const no = [...c.files, ...(c[os].files ?? [])].flatMap((f) => (typeof f === 'string' ? [f] : f.filter)).filter((f) => f.startsWith('!'));
    return files.filter((f) => !no.some((p) => minimatch(`node_modules/onnxruntime-node/${f}`, p.slice(1), { dot: true })));
  }
  const shipped = (fs.readdirSync(path.join(ORT, 'bin'), { recursive: true }) as string[])
    .map((f) => `bin/${f.split(path.sep).join('/')}`)
    .filter((f) => fs.statSync(path.join(ORT, f)).isFile());
  // what onnxruntime-node's CUDA installer adds on a Linux build machine (`npm run dist:linux-cuda`)
  const cuda = ['libonnxruntime_providers_cuda.so', 'libonnxruntime_providers_shared.so', 'libonnxruntime_providers_tensorrt.so'].map(
    (f) => `bin/napi-v6/linux/x64/${f}`,
  );

  it('Linux: onnxruntime (CPU + WebGPU) and, when installed, the CUDA provider; no TensorRT, no other OS', async () => {
    const c = await load();
    const linux = kept([...shipped, ...cuda], c, 'linux');
    expect(linux).toEqual(expect.arrayContaining(['bin/napi-v6/linux/x64/libonnxruntime.so.1', 'bin/napi-v6/linux/x64/onnxruntime_binding.node']));
    expect(linux).toEqual(expect.arrayContaining(cuda.slice(0, 2)));
    expect(linux).not.toContain(cuda[2]);
    expect(linux.every((f) => f.includes('/linux/'))).toBe(true);
  }, 30_000);

  it('Windows: DirectML and the D3D12 shader compiler WebGPU needs; macOS: the dylib; neither gets CUDA', async () => {
    const c = await load();
    const win = kept([...shipped, ...cuda], c, 'win');
    for (const f of ['onnxruntime.dll', 'DirectML.dll', 'dxcompiler.dll', 'dxil.dll', 'onnxruntime_binding.node']) {
      expect(win).toContain(`bin/napi-v6/win32/x64/${f}`);
    }
    expect(win.every((f) => f.includes('/win32/'))).toBe(true);
    const mac = kept([...shipped, ...cuda], c, 'mac');
    expect(mac).toContain('bin/napi-v6/darwin/arm64/libonnxruntime.1.dylib');
    expect(mac.every((f) => f.includes('/darwin/'))).toBe(true);
  }, 30_000);

  it('the documented CUDA command runs onnxruntime-node\'s installer for CUDA 12, then builds for Linux', async () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts['dist:linux-cuda']).toMatch(/ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules\/onnxruntime-node\/script\/install\.js && .*electron-builder --linux/);
    expect(fs.existsSync(path.join(ORT, 'script/install.js'))).toBe(true);
    const meta = ((await import(path.join(ORT, 'script/install-metadata.js'))) as { default: { manifests: Record<string, Record<string, unknown>> } }).default;
    expect(Object.keys(meta.manifests['linux/x64:cuda12']).map((f) => `bin/napi-v6/linux/x64/${path.basename(f)}`).sort()).toEqual([...cuda].sort());
  });
});
