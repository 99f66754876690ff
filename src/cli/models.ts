// revive models [--json]: the installed models, whether each file matches its sha256, and the execution providers.
import { parseArgs } from 'node:util';
import type { Provider } from '../shared/types';
import { webgpuAdapter } from '../core/inference/adapter';
import { availableProviders, providerUnavailableReason } from '../core/inference/session';
import { checkModels, findModelsDir, loadManifest } from '../core/models/manifest';
import type { CliIO } from './io';

export const usage = `usage: revive models [--json]

Lists the models in the models folder (models/manifest.json, or $REVIVE_MODELS_DIR), checks each file's sha256,
and lists the execution providers this build can use (and why the others cannot be used).
Exit status 1 when a model file is missing or damaged.
`;

export async function run(args: string[], io: CliIO): Promise<number> {
  const { values } = parseArgs({ args, strict: true, options: { json: { type: 'boolean', default: false } } });
  const dir = findModelsDir(undefined, io.env);
  const manifest = await loadManifest(dir);
  const checks = await checkModels(dir, manifest);
  const all: Provider[] = ['cuda', 'dml', 'webgpu', 'cpu'];
  const available = availableProviders();
  const providers = all.map((p) => ({
    provider: p,
    available: available.includes(p),
    reason: providerUnavailableReason(p, { requested: p }) ?? undefined,
    // why `auto` passes over a provider that can be chosen by name (WebGPU on a software renderer)
    autoSkips: available.includes(p) ? (providerUnavailableReason(p, { requested: 'auto' }) ?? undefined) : undefined,
    adapter: p === 'webgpu' && available.includes(p) ? (webgpuAdapter().chosen?.name ?? undefined) : undefined,
  }));
  const bad = checks.filter((c) => !c.sha256Ok || c.cpuInt8?.sha256Ok === false).length;
  if (values.json) {
    io.out(
      JSON.stringify({
        modelsDir: dir,
        default_restore: manifest.default_restore,
        default_diffusion: manifest.default_diffusion,
        models: checks,
        providers,
      }) + '\n',
    );
    return bad ? 1 : 0;
  }
  io.out(`models in ${dir}\n`);
  if (!checks.length) io.out('  (none)\n');
  const w = Math.max(2, ...checks.map((c) => c.id.length));
  for (const c of checks) {
    const isDefault = c.id === (c.kind === 'restore' ? manifest.default_restore : manifest.default_diffusion);
    const mb = (c.bytes / 1e6).toFixed(c.bytes < 1e6 ? 3 : 1);
    const state = c.sha256Ok ? 'sha256 ok' : `BAD: ${c.error}`;
    io.out(`  ${c.id.padEnd(w)}  ${c.kind.padEnd(9)} ${(mb + ' MB').padStart(9)}  ${state}${isDefault ? '  (default)' : ''}  ${c.name}\n`);
    const q = c.cpuInt8;
    if (q) {
      const qs = q.sha256Ok ? 'sha256 ok' : `BAD (float32 runs instead, slower): ${q.error}`;
      io.out(`  ${''.padEnd(w)}  ${'int8 copy'.padEnd(9)} ${(`${(q.bytes / 1e6).toFixed(1)} MB`).padStart(9)}  ${qs}  the CPU's by default\n`);
    }
  }
  io.out('execution providers\n');
  for (const p of providers) {
    const state = p.available ? `available${p.adapter ? ` on ${p.adapter}` : ''}` : `not available: ${p.reason}`;
    io.out(`  ${p.provider.padEnd(6)}  ${state}${p.autoSkips ? ` (automatic does not use it: ${p.autoSkips})` : ''}\n`);
  }
  return bad ? 1 : 0;
}
