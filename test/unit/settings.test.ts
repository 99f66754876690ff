// src/shared/settings: the stored restore model choice, and which model a restore uses: the chosen one when it is
// installed and intact, else the manifest's default; a stored id of a model that is gone never breaks a restore.
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SETTINGS,
  pickRestoreModel,
  restoreSettingsFor,
  sanitizeSettings,
  type ModelChoice,
} from '../../src/shared/settings';

const CLEAN = 'restore-naf32-v2';
const NATURAL = 'restore-naf32-natural-v3';
const models: (ModelChoice & { name: string })[] = [
  { id: 'diffusion-cpu', kind: 'diffusion', name: 'prior', sha256Ok: true },
  { id: NATURAL, kind: 'restore', name: 'natural texture', sha256Ok: true },
  { id: CLEAN, kind: 'restore', name: 'clean', sha256Ok: true },
];

describe('sanitizeSettings: restoreModel', () => {
  it("defaults to '' (the manifest's default) and keeps a well-formed id", () => {
    expect(DEFAULT_SETTINGS.restoreModel).toBe('');
    expect(sanitizeSettings({}).restoreModel).toBe('');
    expect(sanitizeSettings({ restoreModel: NATURAL }).restoreModel).toBe(NATURAL);
    expect(sanitizeSettings({ restoreModel: '' }, { ...DEFAULT_SETTINGS, restoreModel: NATURAL }).restoreModel).toBe('');
  });

  it('an unknown but well-formed id is kept (a removed model is resolved when a restore starts)', () => {
    expect(sanitizeSettings({ restoreModel: 'restore-naf32-v1' }).restoreModel).toBe('restore-naf32-v1');
  });

  it('a value that is no model id falls back, never throws', () => {
    for (const bad of [42, null, ['x'], { id: NATURAL }, '../../etc/passwd', 'a b', 'x'.repeat(129)]) {
      expect(sanitizeSettings({ restoreModel: bad }).restoreModel).toBe('');
      expect(sanitizeSettings({ restoreModel: bad }, { ...DEFAULT_SETTINGS, restoreModel: CLEAN }).restoreModel).toBe(CLEAN);
    }
  });

  it('colour & fading: strength clamped to 0..1, an unknown mode falls back', () => {
    expect(DEFAULT_SETTINGS.toneStrength).toBe(0);
    expect(DEFAULT_SETTINGS.toneMode).toBe('auto');
    expect(sanitizeSettings({ toneStrength: 3, toneMode: 'sepia' })).toMatchObject({ toneStrength: 1, toneMode: 'auto' });
    expect(sanitizeSettings({ toneStrength: 0.25, toneMode: 'neutral' })).toMatchObject({ toneStrength: 0.25, toneMode: 'neutral' });
  });

  it('a settings file from before the choice existed reads as the default', () => {
    const old = { outDir: '/x', format: 'png', quality: 80, device: 'cpu', strength: 0.5, tile: 0 };
    expect(sanitizeSettings(old)).toEqual({ ...DEFAULT_SETTINGS, ...old, restoreModel: '' });
  });
});

describe('pickRestoreModel', () => {
  it('the chosen model when it is installed', () => {
    expect(pickRestoreModel(models, NATURAL, CLEAN)?.id).toBe(NATURAL);
    expect(pickRestoreModel(models, CLEAN, CLEAN)?.id).toBe(CLEAN);
  });

  it("no choice: the manifest's default, not the first restore model listed", () => {
    expect(models.find((m) => m.kind === 'restore')!.id).toBe(NATURAL); // the first one is not the default
    expect(pickRestoreModel(models, '', CLEAN)?.id).toBe(CLEAN);
  });

  it('a removed, renamed or non-restore choice falls back to the default silently', () => {
    expect(pickRestoreModel(models, 'restore-naf32-v1', CLEAN)?.id).toBe(CLEAN);
    expect(pickRestoreModel(models, 'diffusion-cpu', CLEAN)?.id).toBe(CLEAN);
  });

  it('a damaged chosen model falls back to the default; a damaged default to another intact one', () => {
    const damaged = models.map((m) => (m.id === NATURAL ? { ...m, sha256Ok: false } : m));
    expect(pickRestoreModel(damaged, NATURAL, CLEAN)?.id).toBe(CLEAN);
    const noDefault = models.map((m) => (m.id === CLEAN ? { ...m, sha256Ok: false } : m));
    expect(pickRestoreModel(noDefault, '', CLEAN)?.id).toBe(NATURAL);
    expect(pickRestoreModel(models, '', 'gone')?.id).toBe(NATURAL); // a default the manifest does not list
  });

  it('null when no restore model is usable', () => {
    expect(pickRestoreModel([], NATURAL, CLEAN)).toBeNull();
    expect(pickRestoreModel(models.map((m) => ({ ...m, sha256Ok: false })), '', CLEAN)).toBeNull();
    expect(pickRestoreModel(models.filter((m) => m.kind === 'diffusion'), '', CLEAN)).toBeNull();
  });

  it('returns the entry itself (its name and description come along)', () => {
    expect(pickRestoreModel(models, NATURAL, CLEAN)?.name).toBe('natural texture');
  });
});

describe('sanitizeSettings: scratches & dust', () => {
  it('on by default at the trained sensitivity; the sensitivity clamped to 0..1; a non-boolean falls back', () => {
    expect(DEFAULT_SETTINGS.scratches).toBe(true);
    expect(DEFAULT_SETTINGS.scratchSensitivity).toBe(0.5);
    expect(sanitizeSettings({ scratches: false, scratchSensitivity: 0.7 })).toMatchObject({ scratches: false, scratchSensitivity: 0.7 });
    expect(sanitizeSettings({ scratchSensitivity: 3 }).scratchSensitivity).toBe(1);
    expect(sanitizeSettings({ scratchSensitivity: -1 }).scratchSensitivity).toBe(0);
    expect(sanitizeSettings({ scratches: 'no', scratchSensitivity: 'x' })).toMatchObject({ scratches: true, scratchSensitivity: 0.5 });
  });
});

describe('restoreSettingsFor', () => {
  it('sends the picked model as modelId with the other settings', () => {
    const s = { ...DEFAULT_SETTINGS, restoreModel: 'restore-naf32-v1', device: 'cpu' as const, tile: 256, toneStrength: 0.4, toneMode: 'keep' as const };
    const model = pickRestoreModel(models, s.restoreModel, CLEAN);
    expect(restoreSettingsFor(s, model)).toEqual({
      modelId: CLEAN,
      device: 'cpu',
      strength: 1,
      format: 'same',
      quality: 92,
      tile: 256,
      stages: { tone: { strength: 0.4, mode: 'keep' }, scratches: { enabled: true, sensitivity: 0.5 } },
    });
    const off = restoreSettingsFor({ ...s, scratches: false, scratchSensitivity: 0.8 }, model);
    expect(off.stages?.scratches).toEqual({ enabled: false, sensitivity: 0.8 });
    expect(restoreSettingsFor({ ...s, restoreModel: NATURAL }, pickRestoreModel(models, NATURAL, CLEAN)).modelId).toBe(NATURAL);
    // noise & grain: adapting is the default and sends nothing; fixed strength and kept grain go to the local stage
    expect(restoreSettingsFor({ ...s, adaptNoise: false }, model).stages?.local).toEqual({ adapt: false });
    expect(restoreSettingsFor({ ...s, keepGrain: true }, model).stages?.local).toEqual({ keepGrain: true });
    expect(restoreSettingsFor({ ...s, keepGrain: true, adaptNoise: false }, model).stages?.local).toEqual({ keepGrain: true, adapt: false });
  });

  it("without a model it leaves modelId out (the engine's default) and tile 0 means the model's own", () => {
    const r = restoreSettingsFor(DEFAULT_SETTINGS, null);
    expect(r).not.toHaveProperty('modelId');
    expect(r).not.toHaveProperty('tile');
  });
});
