// The diffusion model for a refine job: picked from the manifest (by id, else the default for the device), its file
// checked and its session taken from the same SessionCache as restore (same providers, same fallbacks).
import type { Device, DiffusionModel, Manifest, RefineSettings } from '../../shared/types';
import type { SessionCache } from '../inference/session';
import { getModel, loadManifest } from '../models/manifest';
import { OrtEpsModel } from './model';
import type { LoadedDiffusion } from './runner';
import { scheduleFromManifest } from './schedule';

/** settings.modelId if given; else the manifest's default diffusion model if it is meant for `device`, else the first one that is. */
export function pickDiffusion(manifest: Manifest, modelId: string | undefined, device: Device): DiffusionModel {
  if (modelId) return getModel(manifest, modelId, 'diffusion');
  const fits = (m: DiffusionModel) => !m.devices || m.devices.includes(device);
  const def = getModel(manifest, undefined, 'diffusion');
  if (fits(def)) return def;
  return (manifest.models.filter((m) => m.kind === 'diffusion') as DiffusionModel[]).find(fits) ?? def;
}

export async function loadDiffusion(
  sessions: SessionCache,
  modelsDir: string,
  settings: Pick<RefineSettings, 'modelId' | 'device'>,
): Promise<LoadedDiffusion & { entry: DiffusionModel; model: OrtEpsModel }> {
  const manifest = await loadManifest(modelsDir);
  const entry = pickDiffusion(manifest, settings.modelId, settings.device);
  const sched = scheduleFromManifest(entry.schedule);
  const { session, report } = await sessions.get(modelsDir, entry, settings.device);
  return { entry, model: new OrtEpsModel(session, entry), sched, tile: entry.tile, report };
}
