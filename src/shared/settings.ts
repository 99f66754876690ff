// The app's persisted settings: schema, defaults and a sanitiser that never throws (bad values fall back); and which
// restore model a stored choice means, given the installed models (a choice that is gone falls back to the default).
import type { Device, OutputFormat, RestoreSettings, StageSettings } from './types';
import { DEVICES, OUTPUT_FORMATS } from './types';
import { clampTo, MAX_SIDE, MODEL_ID_RE, RANGES } from './limits';

export { MODEL_ID_RE } from './limits';
import { TONE_MODES, type ToneMode } from './tone';

export interface Settings {
  outDir: string; // '' = ask / next to the app's default folder
  format: OutputFormat;
  quality: number;
  device: Device;
  strength: number;
  tile: number; // 0 = the model's suggestion
  /** Id of the chosen restore model; '' = the manifest's default. One that is not installed means the default. */
  restoreModel: string;
  refineStrength: number;
  refineSteps: number;
  /** The colour & fading (tone) stage: its strength 0..1 and how black-and-white and toned prints are treated. */
  toneStrength: number;
  toneMode: ToneMode;
  /** The scratches & dust stage: on or off, and how readily a mark counts as damage (RANGES.scratchSensitivity). */
  scratches: boolean;
  scratchSensitivity: number;
  /** Noise & grain: add back clean grain matched to what the network removed, so a print need not look plastic. */
  keepGrain: boolean;
  /** Noise & grain: scale the strength by how much of the network's change each photo needs (clean photos: little). */
  adaptNoise: boolean;
  /** Restoring a photo again whose result is already there: ask (once), or the answer given. */
  restoreAgain: RestoreAgain;
  /** The look: follow the system's light or dark, or always one. */
  theme: Theme;
}

export type RestoreAgain = 'ask' | 'replace' | 'keep-both';
export const RESTORE_AGAIN: readonly RestoreAgain[] = ['ask', 'replace', 'keep-both'];
export type Theme = 'system' | 'light' | 'dark';
export const THEMES: readonly Theme[] = ['system', 'light', 'dark'];

export const DEFAULT_SETTINGS: Settings = {
  outDir: '',
  format: 'same',
  quality: RANGES.quality.default,
  device: 'auto',
  strength: RANGES.strength.default,
  tile: 0,
  restoreModel: '',
  refineStrength: RANGES.refineStrength.default,
  refineSteps: RANGES.refineStepsSetting.default,
  toneStrength: RANGES.toneStrength.default,
  toneMode: 'auto',
  scratches: true,
  scratchSensitivity: RANGES.scratchSensitivity.default,
  keepGrain: false,
  adaptNoise: true,
  restoreAgain: 'ask',
  theme: 'system',
};

const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));
const num = (v: unknown, d: number) => (typeof v === 'number' && Number.isFinite(v) ? v : d);

export function sanitizeSettings(raw: unknown, base: Settings = DEFAULT_SETTINGS): Settings {
  const r = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
  return {
    outDir: typeof r.outDir === 'string' ? r.outDir : base.outDir,
    format: OUTPUT_FORMATS.includes(r.format as OutputFormat) ? (r.format as OutputFormat) : base.format,
    quality: clampTo(RANGES.quality, r.quality, base.quality),
    device: DEVICES.includes(r.device as Device) ? (r.device as Device) : base.device,
    strength: clampTo(RANGES.strength, r.strength, base.strength),
    tile: Math.round(clamp(num(r.tile, base.tile), 0, MAX_SIDE)), // 0 = the model's suggestion
    restoreModel:
      r.restoreModel === '' || (typeof r.restoreModel === 'string' && MODEL_ID_RE.test(r.restoreModel))
        ? r.restoreModel
        : base.restoreModel,
    refineStrength: clampTo(RANGES.refineStrength, r.refineStrength, base.refineStrength),
    refineSteps: clampTo(RANGES.refineStepsSetting, r.refineSteps, base.refineSteps),
    toneStrength: clampTo(RANGES.toneStrength, r.toneStrength, base.toneStrength),
    toneMode: TONE_MODES.includes(r.toneMode as ToneMode) ? (r.toneMode as ToneMode) : base.toneMode,
    scratches: typeof r.scratches === 'boolean' ? r.scratches : base.scratches,
    scratchSensitivity: clampTo(RANGES.scratchSensitivity, r.scratchSensitivity, base.scratchSensitivity),
    keepGrain: typeof r.keepGrain === 'boolean' ? r.keepGrain : base.keepGrain,
    adaptNoise: typeof r.adaptNoise === 'boolean' ? r.adaptNoise : base.adaptNoise,
    restoreAgain: RESTORE_AGAIN.includes(r.restoreAgain as RestoreAgain) ? (r.restoreAgain as RestoreAgain) : base.restoreAgain,
    theme: THEMES.includes(r.theme as Theme) ? (r.theme as Theme) : base.theme,
  };
}

/** The little of a model the choice needs (ModelInfo in ./api has these fields). */
export interface ModelChoice {
  id: string;
  kind: string;
  sha256Ok: boolean;
}

/**
 * The restore model a restore uses: the chosen one (`settings.restoreModel`) if it is installed and intact, else the
 * manifest's default if it is, else the first intact restore model; null when there is none. A stored id of a model
 * that was removed (or renamed, or is damaged) falls back silently, so an old settings file never breaks restore.
 */
export function pickRestoreModel<M extends ModelChoice>(models: readonly M[], chosen: string, defaultId: string): M | null {
  const usable = models.filter((m) => m.kind === 'restore' && m.sha256Ok);
  const byId = (id: string) => (id ? usable.find((m) => m.id === id) : undefined);
  return byId(chosen) ?? byId(defaultId) ?? usable[0] ?? null;
}

/**
 * The local network's entry of RestoreSettings.stages for "Keep film grain" and "Adapt to each photo" (the app's and
 * the CLI's), and the CLI's --network-tones: only what differs from the engine's defaults (no grain added, adapting,
 * keeping the photo's tones); {} when nothing does.
 */
export function localStage(keepGrain: boolean, adapt: boolean, keepTones = true): { local?: StageSettings } {
  if (!keepGrain && adapt && keepTones) return {};
  return {
    local: { ...(keepGrain ? { keepGrain: true } : {}), ...(adapt ? {} : { adapt: false }), ...(keepTones ? {} : { keepTones: false }) },
  };
}

/** The settings of a restore job from the app's settings and the model pickRestoreModel chose (none: the engine's default). */
export function restoreSettingsFor(s: Settings, model: { id: string } | null): RestoreSettings {
  return {
    ...(model ? { modelId: model.id } : {}),
    device: s.device,
    strength: s.strength,
    format: s.format,
    quality: s.quality,
    ...(s.tile > 0 ? { tile: s.tile } : {}),
    stages: {
      tone: { strength: s.toneStrength, mode: s.toneMode },
      scratches: { enabled: s.scratches, sensitivity: s.scratchSensitivity },
      ...localStage(s.keepGrain, s.adaptNoise),
    },
  };
}
