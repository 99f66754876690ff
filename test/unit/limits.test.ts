// src/shared/limits: one range per setting, and every layer (IPC validation, persisted settings, CLI, the engine's
// own checks) accepts exactly that range: the edges pass, a step past them fails everywhere.
import { describe, expect, it } from 'vitest';
import { parseRefineArgs } from '../../src/cli/refine';
import { parseRestoreArgs } from '../../src/cli/restore';
import { DEFAULT_QUALITY } from '../../src/core/image/encode';
import { checkParams } from '../../src/core/refine/sdedit';
import { clampTo, inRange, MODEL_ID_RE, RANGES, type Range } from '../../src/shared/limits';
import { DEFAULT_SETTINGS, sanitizeSettings } from '../../src/shared/settings';
import { validateRequest } from '../../src/shared/ipc';

const past = (r: Range) => [r.min - (r.int ? 1 : 0.01), r.max + (r.int ? 1 : 0.01)];
const restoreReq = (settings: Record<string, unknown>) => [
  { inputs: ['/a.jpg'], outDir: '/o', settings: { device: 'cpu', strength: 1, format: 'same', quality: 92, ...settings } },
];
const refineReq = (settings: Record<string, unknown>) => [
  { source: { path: '/a.jpg' }, strokes: new Uint8Array([1]), settings: { strength: 0.5, steps: 20, repeats: 1, seed: 0, eta: 0, device: 'cpu', ...settings } },
];
const refineCli = (opt: string, v: number) => () => parseRefineArgs(['a.jpg', '--strokes', 's.png', '--out', 'b.png', `--${opt}=${v}`], '/w');
const restoreCli = (opt: string, v: number) => () => parseRestoreArgs(['a.jpg', '--out', 'o', `--${opt}=${v}`], '/w');

describe('one range per setting, in every layer', () => {
  const cases: { name: string; r: Range; ipc: (v: number) => unknown; cli: (v: number) => () => unknown; engine?: (v: number) => void }[] = [
    { name: 'quality', r: RANGES.quality, ipc: (v) => validateRequest('startRestore', restoreReq({ quality: v })), cli: (v) => restoreCli('quality', v) },
    { name: 'strength', r: RANGES.strength, ipc: (v) => validateRequest('startRestore', restoreReq({ strength: v })), cli: (v) => restoreCli('strength', v) },
    { name: 'tile', r: RANGES.tile, ipc: (v) => validateRequest('startRestore', restoreReq({ tile: v })), cli: (v) => restoreCli('tile', v) },
    ...(['refineStrength', 'refineSteps', 'refineRepeats', 'seed', 'eta'] as const).map((k) => {
      const field = k === 'seed' || k === 'eta' ? k : k.replace('refine', '').toLowerCase();
      return {
        name: k,
        r: RANGES[k],
        ipc: (v: number) => validateRequest('startRefine', refineReq({ [field]: v })),
        cli: (v: number) => refineCli(field, v),
        engine: field === 'seed' ? undefined : (v: number) => checkParams({ strength: 0.5, steps: 20, repeats: 1, seed: 0, eta: 0, [field]: v }),
      };
    }),
  ];
  for (const c of cases) {
    it(`${c.name}: ${c.r.min}..${c.r.max}`, () => {
      for (const v of [c.r.min, c.r.max]) {
        expect(() => c.ipc(v)).not.toThrow();
        expect(c.cli(v)).not.toThrow();
        if (c.engine) expect(() => c.engine?.(v)).not.toThrow();
      }
      for (const v of past(c.r)) {
        expect(() => c.ipc(v)).toThrow(/must be a (whole )?number from/);
        expect(c.cli(v)).toThrow(/must be an? (integer|number) from/);
        if (c.engine) expect(() => c.engine?.(v)).toThrow(/must be a (whole )?number from/);
      }
    });
  }

  it('defaults come from the ranges: settings, CLI, encoder', () => {
    expect(DEFAULT_SETTINGS.quality).toBe(RANGES.quality.default);
    expect(DEFAULT_QUALITY).toBe(RANGES.quality.default);
    expect(DEFAULT_SETTINGS.refineStrength).toBe(RANGES.refineStrength.default);
    expect(parseRestoreArgs(['a.jpg', '--out', 'o'], '/w').settings.quality).toBe(RANGES.quality.default);
    const r = parseRefineArgs(['a.jpg', '--strokes', 's.png', '--out', 'b.png'], '/w');
    expect(r.settings).toMatchObject({ strength: 0.3, steps: 20, repeats: 1, seed: 0, eta: 1 });
    expect(r.quality).toBe(RANGES.quality.default);
  });

  it('persisted settings are clamped into the same ranges', () => {
    const s = sanitizeSettings({ quality: 500, strength: -1, refineStrength: 0.95, refineSteps: 1e6 });
    expect(s).toMatchObject({ quality: 100, strength: 0, refineStrength: 0.8, refineSteps: RANGES.refineStepsSetting.max });
    expect(() => validateRequest('setSettings', [{ refineSteps: RANGES.refineStepsSetting.max + 1 }])).toThrow(/from 1 to 100/);
    expect(clampTo(RANGES.quality, 91.6)).toBe(92);
    expect(inRange(RANGES.seed, 2 ** 32)).toBe(false);
  });

  it('one model id rule: what the settings keep, requests accept', () => {
    for (const id of ['restore-naf32-v2', 'a.b_c', 'x'.repeat(128)]) {
      expect(MODEL_ID_RE.test(id)).toBe(true);
      expect(sanitizeSettings({ restoreModel: id }).restoreModel).toBe(id);
      expect(() => validateRequest('startRestore', restoreReq({ modelId: id }))).not.toThrow();
    }
    for (const id of ['a/b', '', 'x'.repeat(129), 'a b']) {
      expect(MODEL_ID_RE.test(id)).toBe(false);
      expect(() => validateRequest('startRestore', restoreReq({ modelId: id }))).toThrow();
    }
  });
});
