// Which GPU onnxruntime's WebGPU provider would run on, and whether that is a real GPU or a software renderer
// (lavapipe/llvmpipe, SwiftShader, Microsoft's WARP / Basic Render Driver) that is slower than the CPU provider.
//
// onnxruntime-node does not tell: its WebGPU provider (Dawn) picks the adapter itself and the JavaScript API exposes
// no adapter info, only the options powerPreference / dawnBackendType / deviceId / validationMode. So this module asks
// the system what Dawn will find, and Dawn's own rule decides: it prefers a discrete, then an integrated GPU, and takes
// a CPU (software) adapter only when there is nothing else. WebGPU is "software" when every adapter found is software.
//   Linux (Vulkan): `vulkaninfo --summary` when installed (exact: deviceType CPU = software); otherwise the Vulkan
//     driver manifests (icd.d/*.json: lavapipe = libvulkan_lvp, SwiftShader = libvk_swiftshader are software) matched
//     against the devices present (/dev/nvidiactl for NVIDIA's driver, a /sys/class/drm/renderD* node bound to a
//     GPU kernel driver for Mesa's hardware drivers).
//   Windows (D3D12): the display adapters in the registry's display class; "Microsoft Basic Render/Display Adapter"
//     and "Microsoft Remote Display Adapter" are software (WARP).
//   macOS (Metal): always a real GPU.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import path from 'node:path';

export interface GpuAdapter {
  name: string;
  software: boolean;
}

export interface AdapterSurvey {
  /** Every adapter found (empty: WebGPU has nothing to run on). */
  adapters: GpuAdapter[];
  /** The one WebGPU would use (Dawn's rule: a hardware one first), or null. */
  chosen: GpuAdapter | null;
  /** How it was found, for people: "vulkaninfo", "Vulkan driver manifests and /dev", ... */
  source: string;
}

/** What the survey reads from the system (injected in tests). */
export interface SystemProbe {
  /** stdout of a command, or null when it cannot be run or fails. */
  run(cmd: string, args: string[]): string | null;
  readDir(dir: string): string[];
  readFile(file: string): string | null;
  exists(p: string): boolean;
  /** Target of a symbolic link, or null. */
  readLink(p: string): string | null;
  env: NodeJS.ProcessEnv;
}

export const systemProbe: SystemProbe = {
  run(cmd, args) {
    try {
      return execFileSync(cmd, args, { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'ignore'] });
    } catch {
      return null;
    }
  },
  readDir(dir) {
    try {
      return readdirSync(dir);
    } catch {
      return [];
    }
  },
  readFile(file) {
    try {
      return readFileSync(file, 'utf8');
    } catch {
      return null;
    }
  },
  exists: (p) => existsSync(p),
  readLink(p) {
    try {
      return readlinkSync(p);
    } catch {
      return null;
    }
  },
  env: process.env,
};

const SOFTWARE_NAME = /llvmpipe|lavapipe|swiftshader|\bwarp\b|microsoft basic (render|display)|microsoft remote display/i;

function choose(adapters: GpuAdapter[]): GpuAdapter | null {
  return adapters.find((a) => !a.software) ?? adapters[0] ?? null;
}

/** Devices in `vulkaninfo --summary` output: deviceType PHYSICAL_DEVICE_TYPE_CPU is a software renderer. */
export function parseVulkanSummary(text: string): GpuAdapter[] {
  const out: GpuAdapter[] = [];
  const devices = text.split(/^GPU\d+:\s*$/m).slice(1);
  for (const block of devices) {
    const field = (k: string) => new RegExp(`^\\s*${k}\\s*=\\s*(.+)$`, 'm').exec(block)?.[1].trim();
    const type = field('deviceType') ?? '';
    const name = field('deviceName') ?? field('driverName') ?? 'unknown Vulkan device';
    out.push({ name, software: type === 'PHYSICAL_DEVICE_TYPE_CPU' || SOFTWARE_NAME.test(name) });
  }
  return out;
}

/** Kernel drivers of real GPUs that Mesa's hardware Vulkan drivers run on (vgem/vkms are virtual, no GPU). */
const GPU_KERNEL_DRIVERS = /^(amdgpu|radeon|i915|xe|nouveau|nvidia|nvidia-drm|virtio_gpu|virtio-pci|msm|panfrost|panthor|asahi|v3d|vc4|etnaviv|lima|powervr|mgag200)$/;

function icdDirs(env: NodeJS.ProcessEnv): string[] {
  const data = (env.XDG_DATA_DIRS || '/usr/local/share:/usr/share').split(':').filter(Boolean);
  const conf = (env.XDG_CONFIG_DIRS || '/etc/xdg').split(':').filter(Boolean);
  return [...new Set([...conf.map((d) => path.join(d, 'vulkan/icd.d')), '/etc/vulkan/icd.d', ...data.map((d) => path.join(d, 'vulkan/icd.d'))])];
}

/** Linux without vulkaninfo: the installed Vulkan drivers, each kept only when its device is present. */
export function surveyVulkanDrivers(sys: SystemProbe): GpuAdapter[] {
  const override = sys.env.VK_DRIVER_FILES || sys.env.VK_ICD_FILENAMES;
  const files = override
    ? override.split(':').filter(Boolean)
    : icdDirs(sys.env).flatMap((d) => sys.readDir(d).filter((f) => f.endsWith('.json')).map((f) => path.join(d, f)));
  const renderDrivers = sys
    .readDir('/sys/class/drm')
    .filter((n) => /^renderD\d+$/.test(n))
    .map((n) => path.basename(sys.readLink(`/sys/class/drm/${n}/device/driver`) ?? ''))
    .filter((d) => GPU_KERNEL_DRIVERS.test(d));
  const nvidia = sys.exists('/dev/nvidiactl');
  const out: GpuAdapter[] = [];
  const seen = new Set<string>();
  for (const f of files) {
    const text = sys.readFile(f);
    if (!text) continue;
    let lib = '';
    try {
      lib = String((JSON.parse(text) as { ICD?: { library_path?: string } }).ICD?.library_path ?? '');
    } catch {
      continue;
    }
    const base = path.basename(lib).toLowerCase();
    if (!base || seen.has(base)) continue;
    seen.add(base);
    if (/lvp/.test(base)) out.push({ name: 'llvmpipe (lavapipe, Mesa software Vulkan)', software: true });
    else if (/swiftshader/.test(base)) out.push({ name: 'SwiftShader (software Vulkan)', software: true });
    else if (/nvidia/.test(base)) {
      if (nvidia) out.push({ name: 'NVIDIA GPU (NVIDIA Vulkan driver)', software: false });
    } else if (renderDrivers.length) {
      // a Mesa hardware driver (radeon, intel, nouveau, ...): real when a GPU render node exists
      out.push({ name: `GPU (${renderDrivers.join(', ')}, Vulkan ${base.replace(/^libvulkan_|\.so.*$/g, '')})`, software: false });
    }
  }
  return out;
}

/** Windows: the display adapters' DriverDesc values in the registry's display device class. */
export function parseWindowsDisplayAdapters(regOutput: string): GpuAdapter[] {
  const names = [...regOutput.matchAll(/DriverDesc\s+REG_SZ\s+(.+)$/gm)].map((m) => m[1].trim());
  return [...new Set(names)].map((name) => ({ name, software: SOFTWARE_NAME.test(name) }));
}

/** Where onnxruntime's WebGPU provider would run, on this platform. */
export function surveyAdapters(platform: NodeJS.Platform = process.platform, sys: SystemProbe = systemProbe): AdapterSurvey {
  if (platform === 'darwin') {
    const a = { name: 'Apple GPU (Metal)', software: false };
    return { adapters: [a], chosen: a, source: 'macOS always has a Metal GPU' };
  }
  if (platform === 'win32') {
    const reg = sys.run('reg', ['query', 'HKLM\\SYSTEM\\CurrentControlSet\\Control\\Class\\{4d36e968-e325-11ce-bfc1-08002be10318}', '/s', '/v', 'DriverDesc']);
    const adapters = reg ? parseWindowsDisplayAdapters(reg) : [];
    // D3D12 always has WARP to fall back on
    if (!adapters.some((a) => a.software)) adapters.push({ name: 'Microsoft Basic Render Driver (WARP)', software: true });
    return { adapters, chosen: choose(adapters), source: 'the display adapters in the Windows registry' };
  }
  if (platform === 'linux') {
    const summary = sys.run('vulkaninfo', ['--summary']);
    if (summary && /^GPU\d+:/m.test(summary)) {
      const adapters = parseVulkanSummary(summary);
      return { adapters, chosen: choose(adapters), source: 'vulkaninfo --summary' };
    }
    const adapters = surveyVulkanDrivers(sys);
    return { adapters, chosen: choose(adapters), source: 'the installed Vulkan drivers and the GPU devices in /dev and /sys' };
  }
  return { adapters: [], chosen: null, source: `WebGPU is not supported on ${platform}` };
}

let cached: AdapterSurvey | null = null;

/** surveyAdapters() for this machine, once per process. */
export function webgpuAdapter(): AdapterSurvey {
  cached ??= surveyAdapters();
  return cached;
}
