// The app's persisted settings: schema, defaults and a sanitiser that never throws (bad values fall back).
import type { Device, OutputFormat } from './types';
import { DEVICES, OUTPUT_FORMATS } from './types';

export interface Settings {
  outDir: string; // '' = ask / next to the app's default folder
  format: OutputFormat;
  quality: number;
  device: Device;
  strength: number;
  tile: number; // 0 = the model's suggestion
  refineStrength: number;
  refineSteps: number;
}

export const DEFAULT_SETTINGS: Settings = {
  outDir: '',
  format: 'same',
  quality: 92,
  device: 'auto',
  strength: 1,
  tile: 0,
  refineStrength: 0.5,
  refineSteps: 20,
};

const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));
const num = (v: unknown, d: number) => (typeof v === 'number' && Number.isFinite(v) ? v : d);

export function sanitizeSettings(raw: unknown, base: Settings = DEFAULT_SETTINGS): Settings {
  const r = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
  return {
    outDir: typeof r.outDir === 'string' ? r.outDir : base.outDir,
    format: OUTPUT_FORMATS.includes(r.format as OutputFormat) ? (r.format as OutputFormat) : base.format,
    quality: Math.round(clamp(num(r.quality, base.quality), 1, 100)),
    device: DEVICES.includes(r.device as Device) ? (r.device as Device) : base.device,
    strength: clamp(num(r.strength, base.strength), 0, 1),
    tile: Math.round(clamp(num(r.tile, base.tile), 0, 4096)),
    refineStrength: clamp(num(r.refineStrength, base.refineStrength), 0.2, 0.8),
    refineSteps: Math.round(clamp(num(r.refineSteps, base.refineSteps), 1, 100)),
  };
}
