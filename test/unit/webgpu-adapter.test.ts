// Which adapter WebGPU would run on, and the rule that `auto` never takes a software one (lavapipe, SwiftShader,
// WARP) over the CPU while a request by name does. The system is faked where a machine with a GPU is needed; the
// real machine's two ways of looking (vulkaninfo and the driver manifests) must agree.
import fs from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import {
  parseVulkanSummary,
  parseWindowsDisplayAdapters,
  surveyAdapters,
  systemProbe,
  type AdapterSurvey,
  type SystemProbe,
} from '../../src/core/inference/adapter';
import { availableProviders, describeReport, providerUnavailableReason, SessionCache } from '../../src/core/inference/session';
import { FIXTURES, restoreEntry, ROOT } from './restore-helpers';

const LLVMPIPE = fs.readFileSync(path.join(ROOT, 'test/fixtures/vulkan/summary-llvmpipe.txt'), 'utf8');
// the same summary with an NVIDIA card listed first, as vulkaninfo prints a machine with both drivers
const NVIDIA_AND_LLVMPIPE = LLVMPIPE.replace(
  'GPU0:',
  'GPU0:\n\tdeviceType         = PHYSICAL_DEVICE_TYPE_DISCRETE_GPU\n\tdeviceName         = NVIDIA H200\n\tdriverName         = NVIDIA\nGPU1:',
);

function fakeSystem(files: Record<string, string>, opts: { vulkaninfo?: string; nvidiactl?: boolean; render?: string } = {}): SystemProbe {
  return {
    run: (cmd) => (cmd === 'vulkaninfo' ? (opts.vulkaninfo ?? null) : null),
    readDir: (dir) => {
      if (dir === '/sys/class/drm') return opts.render ? ['card0', 'renderD128'] : [];
      const inDir = Object.keys(files).filter((f) => path.dirname(f) === dir);
      return inDir.map((f) => path.basename(f));
    },
    readFile: (f) => files[f] ?? null,
    exists: (p) => (p === '/dev/nvidiactl' ? !!opts.nvidiactl : false),
    readLink: (p) => (p === '/sys/class/drm/renderD128/device/driver' && opts.render ? `../../bus/pci/drivers/${opts.render}` : null),
    env: {},
  };
}
const icd = (lib: string) => JSON.stringify({ file_format_version: '1.0.1', ICD: { library_path: lib, api_version: '1.4.305' } });
const MESA_ICDS = {
  '/usr/share/vulkan/icd.d/lvp_icd.json': icd('/usr/lib/x86_64-linux-gnu/libvulkan_lvp.so'),
  '/usr/share/vulkan/icd.d/radeon_icd.json': icd('/usr/lib/x86_64-linux-gnu/libvulkan_radeon.so'),
  '/usr/share/vulkan/icd.d/intel_icd.json': icd('/usr/lib/x86_64-linux-gnu/libvulkan_intel.so'),
};

describe('adapter survey', () => {
  it('reads vulkaninfo: llvmpipe is a CPU device (software); a discrete GPU is chosen over it', () => {
    expect(parseVulkanSummary(LLVMPIPE)).toEqual([{ name: 'llvmpipe (LLVM 15.0.6, 256 bits)', software: true }]);
    const both = surveyAdapters('linux', fakeSystem({}, { vulkaninfo: NVIDIA_AND_LLVMPIPE }));
    expect(both.adapters).toHaveLength(2);
    expect(both.chosen).toEqual({ name: 'NVIDIA H200', software: false });
    expect(both.source).toBe('vulkaninfo --summary');
  });

  it('without vulkaninfo, keeps an installed driver only when its device is present', () => {
    // Mesa installs the radeon and intel drivers everywhere: with no GPU render node only lavapipe is real
    const none = surveyAdapters('linux', fakeSystem(MESA_ICDS));
    expect(none.adapters).toEqual([{ name: 'llvmpipe (lavapipe, Mesa software Vulkan)', software: true }]);
    expect(none.chosen?.software).toBe(true);
    const amd = surveyAdapters('linux', fakeSystem(MESA_ICDS, { render: 'amdgpu' }));
    expect(amd.chosen?.software).toBe(false);
    expect(amd.chosen?.name).toMatch(/amdgpu/);
    // NVIDIA's driver counts only with its device node
    const nv = { ...MESA_ICDS, '/usr/share/vulkan/icd.d/nvidia_icd.json': icd('libGLX_nvidia.so.0') };
    expect(surveyAdapters('linux', fakeSystem(nv)).chosen?.software).toBe(true);
    expect(surveyAdapters('linux', fakeSystem(nv, { nvidiactl: true })).chosen).toEqual({ name: 'NVIDIA GPU (NVIDIA Vulkan driver)', software: false });
    // a virtual DRM device (vgem) is no GPU
    expect(surveyAdapters('linux', fakeSystem(MESA_ICDS, { render: 'vgem' })).chosen?.software).toBe(true);
    expect(surveyAdapters('linux', fakeSystem({})).chosen).toBeNull();
  });

  it('on Windows, the Basic Render Driver (WARP) is software and a real adapter wins; macOS is Metal', () => {
    const reg = [
      'HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\Class\\{4d36e968-e325-11ce-bfc1-08002be10318}\\0000',
      '    DriverDesc    REG_SZ    Microsoft Basic Display Adapter',
      'HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\Class\\{4d36e968-e325-11ce-bfc1-08002be10318}\\0001',
      '    DriverDesc    REG_SZ    Intel(R) UHD Graphics 620',
    ].join('\r\n');
    expect(parseWindowsDisplayAdapters(reg)).toEqual([
      { name: 'Microsoft Basic Display Adapter', software: true },
      { name: 'Intel(R) UHD Graphics 620', software: false },
    ]);
    const sys = { ...fakeSystem({}), run: (cmd: string) => (cmd === 'reg' ? reg : null) };
    expect(surveyAdapters('win32', sys).chosen?.name).toBe('Intel(R) UHD Graphics 620');
    expect(surveyAdapters('win32', fakeSystem({})).chosen).toEqual({ name: 'Microsoft Basic Render Driver (WARP)', software: true });
    expect(surveyAdapters('darwin', fakeSystem({})).chosen?.software).toBe(false);
  });

  it('on this machine, vulkaninfo and the driver manifests agree on whether WebGPU has a real GPU', () => {
    const summary = systemProbe.run('vulkaninfo', ['--summary']);
    const fromManifests = surveyAdapters('linux', { ...systemProbe, run: () => null });
    expect(fromManifests.adapters.length).toBeGreaterThan(0); // scripts/setup-system.sh installs lavapipe
    if (summary) {
      const fromVulkaninfo = surveyAdapters('linux');
      expect(fromVulkaninfo.source).toBe('vulkaninfo --summary');
      expect(fromManifests.chosen?.software).toBe(fromVulkaninfo.chosen?.software);
    }
  });
});

const software: () => AdapterSurvey = () => {
  const a = { name: 'llvmpipe (LLVM 15.0.6, 256 bits)', software: true };
  return { adapters: [a], chosen: a, source: 'test' };
};
const hardware: () => AdapterSurvey = () => {
  const a = { name: 'NVIDIA H200', software: false };
  return { adapters: [a, { name: 'llvmpipe', software: true }], chosen: a, source: 'test' };
};
const nothing: () => AdapterSurvey = () => ({ adapters: [], chosen: null, source: 'test' });

describe('WebGPU selection', () => {
  it('auto passes over a software adapter, with the reason; by name it is used; a real GPU is used either way', () => {
    const auto = providerUnavailableReason('webgpu', { platform: 'linux', requested: 'auto', adapter: software });
    expect(auto).toMatch(/llvmpipe .* a software renderer without a real GPU, slower than the CPU \(choose WebGPU by name/);
    expect(providerUnavailableReason('webgpu', { platform: 'linux', requested: 'webgpu', adapter: software })).toBeNull();
    expect(providerUnavailableReason('webgpu', { platform: 'linux', requested: 'auto', adapter: hardware })).toBeNull();
    expect(providerUnavailableReason('webgpu', { platform: 'linux', requested: 'auto', adapter: nothing })).toMatch(/no GPU with a Vulkan driver/);
    // the app's "Run on" list offers WebGPU whenever it can run at all, software or not
    expect(availableProviders('linux', { adapter: software })).toContain('webgpu');
    expect(availableProviders('linux', { adapter: nothing })).not.toContain('webgpu');
    // CUDA needs an NVIDIA driver even when its provider library is installed
    const cuda = providerUnavailableReason('cuda', { platform: 'linux', nvidiaDriver: () => false });
    // and a machine without one hears only that (not what the build lacks for a GPU it does not have)
    expect(cuda).toBe('no NVIDIA GPU driver is loaded on this machine');
  });

  it('onnxruntime-node bundles WebGPU: auto on a software adapter runs on the CPU, --device webgpu on the adapter', async () => {
    expect(ort.listSupportedBackends().find((b) => b.name === 'webgpu')?.bundled).toBe(true);
    const entry = restoreEntry();
    const cache = new SessionCache({ threads: 1, platform: 'linux', adapter: software });
    const auto = await cache.get(FIXTURES, entry, 'auto');
    expect(auto.report.used).toBe('cpu');
    expect(auto.report.fallbacks.find((f) => f.provider === 'webgpu')?.reason).toMatch(/software renderer/);
    const named = await cache.get(FIXTURES, entry, 'webgpu');
    expect(named.report).toEqual({
      requested: 'webgpu',
      used: 'webgpu',
      fallbacks: [],
      adapter: 'llvmpipe (LLVM 15.0.6, 256 bits) (a software renderer, no GPU)',
    });
    expect(describeReport(named.report)).toBe('using WEBGPU on llvmpipe (LLVM 15.0.6, 256 bits) (a software renderer, no GPU) (requested: webgpu)');
    // a machine with a real GPU: auto takes WebGPU (CUDA is not installed in this build)
    const gpu = new SessionCache({ threads: 1, platform: 'linux', adapter: hardware, probe: (p, r) => (p === 'cuda' ? 'not installed' : providerUnavailableReason(p, { platform: 'linux', requested: r, adapter: hardware })) });
    expect((await gpu.get(FIXTURES, entry, 'auto')).report.used).toBe('webgpu');
    await cache.dispose();
    await gpu.dispose();
  });
});
