// src/shared/validate: every request the renderer can send is checked (types, ranges, absolute paths, ids, sizes)
// before main hands it to the engine; a bad one fails with a message naming the field.
import { describe, expect, it } from 'vitest';
import { CH } from '../../src/shared/api';
import { METHODS, validateRequest } from '../../src/shared/ipc';
import { isAbsolutePath, LIMITS, ValidationError } from '../../src/shared/validate';

const restoreReq = () => ({
  inputs: ['/photos/a.jpg', '/photos/album'],
  outDir: '/photos/restored',
  settings: { device: 'auto', strength: 1, format: 'same', quality: 92 },
});
const refineReq = () => ({
  source: { path: '/photos/a.jpg' },
  strokes: new Uint8Array([137, 80, 78, 71]),
  settings: { strength: 0.5, steps: 20, repeats: 1, seed: 7, eta: 0, device: 'cpu' },
});

function bad(method: string, args: unknown, re: RegExp) {
  let err: unknown;
  try {
    validateRequest(method as never, args);
  } catch (e) {
    err = e;
  }
  expect(err, `${method} ${JSON.stringify(args)?.slice(0, 80)}`).toBeInstanceOf(ValidationError);
  expect((err as Error).message).toMatch(re);
}

describe('validateRequest', () => {
  it('has a validator for every channel of the contract', () => {
    expect(METHODS.sort()).toEqual(Object.keys(CH).sort());
    bad('deleteEverything', [], /Unknown request "deleteEverything"/);
    bad('__proto__', [], /Unknown request/);
    bad('toString', [], /Unknown request/);
  });

  it('accepts the calls the renderer makes and returns clean copies', () => {
    expect(validateRequest('getInfo', [])).toEqual([]);
    expect(validateRequest('chooseFolder', [])).toEqual([]);
    expect(validateRequest('expandInputs', [['/a', '/b/c.png']])).toEqual([['/a', '/b/c.png']]);
    expect(validateRequest('expandInputs', [[]])).toEqual([[]]);
    expect(validateRequest('loadPreview', ['/a/b.png', 2048])).toEqual(['/a/b.png', 2048]);
    expect(validateRequest('startRestore', [restoreReq()])).toEqual([restoreReq()]);
    const withTile = { ...restoreReq(), settings: { ...restoreReq().settings, tile: 512, modelId: 'restore-v1.2' } };
    expect(validateRequest('startRestore', [withTile])).toEqual([withTile]);
    for (const existing of ['skip', 'replace', 'keep-both']) {
      const withExisting = { ...restoreReq(), settings: { ...restoreReq().settings, existing } };
      expect(validateRequest('startRestore', [withExisting])).toEqual([withExisting]);
    }
    expect(validateRequest('cancelJob', ['0b9a6a3e-4d2c-4f5e-9c1d-2f6a1b3c4d5e'])).toHaveLength(1);
    expect(validateRequest('setSettings', [{ format: 'jpeg', quality: 80, outDir: '' }])).toEqual([
      { format: 'jpeg', quality: 80, outDir: '' },
    ]);
    expect(validateRequest('setSettings', [{ tile: 0, refineSteps: 30, refineStrength: 0.3 }])).toHaveLength(1);
    expect(validateRequest('setSettings', [{ restoreModel: 'restore-naf32-natural-v3' }])).toEqual([
      { restoreModel: 'restore-naf32-natural-v3' },
    ]);
    expect(validateRequest('setSettings', [{ restoreModel: '' }])).toEqual([{ restoreModel: '' }]); // the default
    // the Noise & grain checkboxes are settings the page saves
    expect(validateRequest('setSettings', [{ keepGrain: true, adaptNoise: false }])).toEqual([{ keepGrain: true, adaptNoise: false }]);
    const [r] = validateRequest('startRefine', [refineReq()]);
    expect(r.strokes).toBeInstanceOf(Uint8Array);
    expect(validateRequest('startRefine', [{ ...refineReq(), source: { roundId: 'abc-123' }, mask: new Uint8Array(3) }]))
      .toHaveLength(1);
    expect(validateRequest('saveRound', ['abc_1', '/out/x.png'])).toEqual(['abc_1', '/out/x.png']);
    expect(validateRequest('showInFolder', ['/out/x.png'])).toEqual(['/out/x.png']);
    expect(validateRequest('setUnsavedWork', ['Refine work would be lost: a.png (strokes not refined yet).'])).toEqual([
      'Refine work would be lost: a.png (strokes not refined yet).',
    ]);
    expect(validateRequest('setUnsavedWork', [null])).toEqual([null]);
  });

  it('takes the words of setUnsavedWork only as a bounded string or null', () => {
    bad('setUnsavedWork', [], /setUnsavedWork: the arguments must be 1 value/);
    bad('setUnsavedWork', [undefined], /summary must be a string \(got undefined\)/);
    bad('setUnsavedWork', [42], /summary must be a string \(got 42\)/);
    bad('setUnsavedWork', [{ toString: () => 'x' }], /summary must be a string/);
    bad('setUnsavedWork', ['x'.repeat(LIMITS.summaryLength + 1)], /summary must be at most 4000 characters long/);
    expect(validateRequest('setUnsavedWork', ['x'.repeat(LIMITS.summaryLength)])[0]).toHaveLength(LIMITS.summaryLength);
  });

  it('rejects wrong argument counts and shapes', () => {
    bad('getInfo', ['extra'], /getInfo: the arguments must be 0 values/);
    bad('loadPreview', ['/a.png'], /2 values/);
    bad('startRestore', 'not a list', /must be a list/);
    bad('startRestore', [null], /req must be an object \(got null\)/);
    bad('startRestore', [[1, 2]], /req must be an object/);
    bad('startRestore', [new Date()], /plain object/);
  });

  it('rejects relative, empty, NUL-carrying and overlong paths', () => {
    bad('loadPreview', ['photo.png', 100], /path must be an absolute path \(got "photo.png"\)/);
    bad('loadPreview', ['', 100], /path must be a path/);
    bad('loadPreview', ['/a\0b.png', 100], /without NUL/);
    bad('loadPreview', [`/${'a'.repeat(LIMITS.pathLength)}`, 100], /at most 32767 characters/);
    bad('loadPreview', [42, 100], /path must be a string \(got 42\)/);
    bad('expandInputs', [['/ok', '../etc/passwd']], /paths\[1\] must be an absolute path/);
    bad('expandInputs', ['/a'], /paths must be a list/);
    bad('startRestore', [{ ...restoreReq(), outDir: 'restored' }], /req.outDir must be an absolute path/);
    bad('startRestore', [{ ...restoreReq(), inputs: [] }], /req.inputs must be a list of 1 to/);
    bad('saveRound', ['r1', 'out.png'], /outPath must be an absolute path/);
    bad('showInFolder', [{}], /path must be a string/);
    bad('setSettings', [{ outDir: 'relative/dir' }], /patch.outDir must be an absolute path/);
  });

  it('checks numbers, ranges and enumerations', () => {
    const s = (over: Record<string, unknown>) => [{ ...restoreReq(), settings: { ...restoreReq().settings, ...over } }];
    bad('startRestore', s({ strength: 1.5 }), /req.settings.strength must be a number from 0 to 1 \(got 1.5\)/);
    bad('startRestore', s({ strength: Number.NaN }), /strength must be a number/);
    bad('startRestore', s({ strength: '1' }), /strength must be a number from 0 to 1 \(got "1"\)/);
    bad('startRestore', s({ quality: 92.5 }), /quality must be a whole number from 1 to 100/);
    bad('startRestore', s({ quality: 0 }), /quality must be a whole number/);
    bad('startRestore', s({ device: 'tpu' }), /device must be one of auto, cpu, cuda, dml, webgpu \(got "tpu"\)/);
    bad('startRestore', s({ format: 'bmp' }), /format must be one of same, png, jpeg, webp, tiff/);
    bad('startRestore', s({ tile: 8 }), /tile must be a whole number from 16 to 16384/);
    bad('startRestore', s({ existing: 'overwrite' }), /existing must be one of skip, replace, keep-both/);
    bad('startRestore', s({ modelId: '../../etc' }), /modelId must be an id/);
    bad('loadPreview', ['/a.png', 0], /maxSize must be a whole number from 16 to 16384/);
    bad('loadPreview', ['/a.png', Infinity], /maxSize/);
    bad('setSettings', [{ quality: 'high' }], /patch.quality must be a whole number/);
    bad('setSettings', [{ restoreModel: 7 }], /patch.restoreModel must be a string/);
    bad('setSettings', [{ restoreModel: '../models/x' }], /patch.restoreModel must be an id/);
    bad('setSettings', [{ restoreModel: 'x'.repeat(129) }], /patch.restoreModel must be at most 128 characters/);
    bad('setSettings', [{ refineStrength: 0.9 }], /refineStrength must be a number from 0.2 to 0.8/);
    const r = (over: Record<string, unknown>) => [{ ...refineReq(), settings: { ...refineReq().settings, ...over } }];
    bad('startRefine', r({ strength: 0.1 }), /req.settings.strength must be a number from 0.2 to 0.8/);
    bad('startRefine', r({ steps: 0 }), /steps must be a whole number from 1 to 1000/);
    bad('startRefine', r({ repeats: 11 }), /repeats must be a whole number from 1 to 10/);
    bad('startRefine', r({ seed: -1 }), /seed must be a whole number/);
    bad('startRefine', r({ eta: 2 }), /eta must be a number from 0 to 1/);
  });

  it('refuses fields the contract does not know (no smuggling extra options to the engine)', () => {
    bad('startRestore', [{ ...restoreReq(), overwrite: true }], /req.overwrite must be absent/);
    bad('startRestore', [{ ...restoreReq(), settings: { ...restoreReq().settings, exec: 'rm' } }], /settings.exec must be absent/);
    bad('setSettings', [{ skin: 'light' }], /patch.skin must be absent/);
    bad('setSettings', [JSON.parse('{"__proto__": {"polluted": true}}')], /patch.__proto__ must be absent/);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('knows the restore-again and theme settings and what to do with an existing output (issue 15)', () => {
    expect(validateRequest('setSettings', [{ restoreAgain: 'keep-both', theme: 'light' }])).toEqual([{ restoreAgain: 'keep-both', theme: 'light' }]);
    bad('setSettings', [{ restoreAgain: 'overwrite' }], /patch.restoreAgain must be one of/);
    bad('setSettings', [{ theme: 'pink' }], /patch.theme must be one of/);
    const req = restoreReq();
    expect(validateRequest('startRestore', [{ ...req, settings: { ...req.settings, existing: 'replace' } }])[0].settings.existing).toBe('replace');
    bad('startRestore', [{ ...req, settings: { ...req.settings, existing: 'overwrite' } }], /settings.existing must be one of/);
  });

  it('checks ids, bytes and the refine source', () => {
    bad('cancelJob', ['../../x'], /jobId must be an id/);
    bad('cancelJob', [''], /jobId must be an id/);
    bad('cancelJob', ['x'.repeat(200)], /at most 128/);
    bad('getRefineResult', [7], /jobId must be a string/);
    bad('startRefine', [{ ...refineReq(), strokes: [1, 2, 3] }], /req.strokes must be bytes/);
    bad('startRefine', [{ ...refineReq(), strokes: new Uint8Array(0) }], /from 1 to/);
    bad('startRefine', [{ ...refineReq(), source: {} }], /either \{ path \} or \{ roundId \}/);
    bad('startRefine', [{ ...refineReq(), source: { path: '/a', roundId: 'r' } }], /either/);
    bad('startRefine', [{ ...refineReq(), source: { roundId: 'a/b' } }], /source.roundId must be an id/);
    bad('startRefine', [{ ...refineReq(), mask: 'png' }], /req.mask must be bytes/);
  });

  it('checks colorize requests: source, strokes bytes, an optional preview size', () => {
    const strokes = new Uint8Array([137, 80, 78, 71]);
    expect(validateRequest('colorize', [{ source: { roundId: 'r-1' }, strokes, previewSize: 1024 }])).toEqual([
      { source: { roundId: 'r-1' }, strokes, previewSize: 1024 },
    ]);
    expect(validateRequest('colorize', [{ source: { path: '/a.jpg' }, strokes }])).toEqual([{ source: { path: '/a.jpg' }, strokes }]);
    bad('colorize', [{ source: { path: 'a.jpg' }, strokes }], /req.source.path must be an absolute path/);
    bad('colorize', [{ source: { path: '/a.jpg' }, strokes: 'x' }], /req.strokes must be bytes/);
    bad('colorize', [{ source: { path: '/a.jpg' }, strokes, previewSize: 8 }], /req.previewSize must be a whole number from 16/);
    bad('colorize', [{ source: { path: '/a.jpg' }, strokes, settings: {} }], /req.settings must be absent/);
  });

  it('checks refill requests and the scratches settings; the page never names mask files for the engine', () => {
    const mask = new Uint8Array([137, 80, 78, 71]);
    const req = { input: '/photos/a.jpg', output: '/photos/restored/a.jpg', mask };
    expect(validateRequest('refillScratches', [req])).toEqual([req]);
    bad('refillScratches', [{ ...req, output: 'a.jpg' }], /req.output must be an absolute path/);
    bad('refillScratches', [{ ...req, mask: 'png' }], /req.mask must be bytes/);
    bad('refillScratches', [{ ...req, maskFile: '/tmp/x.png' }], /req.maskFile must be absent/);
    bad('refillScratches', [{ ...req, settings: {} }], /req.settings must be absent/); // the restore's own are used
    const stages = (scratches: Record<string, unknown>) => [
      { ...restoreReq(), settings: { ...restoreReq().settings, stages: { scratches } } },
    ];
    expect(validateRequest('startRestore', stages({ enabled: true, sensitivity: 0.7 }))[0].settings.stages).toEqual({
      scratches: { enabled: true, sensitivity: 0.7 },
    });
    bad('startRestore', stages({ saveMask: '/tmp/m.png' }), /scratches.saveMask must be absent/);
    bad('startRestore', stages({ mask: '/tmp/m.png' }), /scratches.mask must be absent/);
    bad('startRestore', stages({ sensitivity: 1.5 }), /sensitivity must be a number from 0 to 1/);
    // the local network: adapt on or off; the amount itself is the engine's (a refill passes the photo's), never the page's
    const local = (l: Record<string, unknown>) => [{ ...restoreReq(), settings: { ...restoreReq().settings, stages: { local: l } } }];
    expect(validateRequest('startRestore', local({ adapt: false, keepGrain: true }))[0].settings.stages).toEqual({ local: { adapt: false, keepGrain: true } });
    bad('startRestore', local({ adapt: 'no' }), /local.adapt must be/);
    // keeping the photo's tones: on unless false
    expect(validateRequest('startRestore', local({ keepTones: false }))[0].settings.stages).toEqual({ local: { keepTones: false } });
    bad('startRestore', local({ keepTones: 1 }), /local.keepTones must be/);
    bad('startRestore', local({ amount: 0.2 }), /local.amount must be absent/);
    expect(validateRequest('loadScratchMask', ['/photos/restored/a.jpg'])).toEqual(['/photos/restored/a.jpg']);
    bad('loadScratchMask', ['a.jpg'], /output must be an absolute path/);
    expect(validateRequest('setSettings', [{ scratches: false, scratchSensitivity: 0.3 }])).toEqual([
      { scratches: false, scratchSensitivity: 0.3 },
    ]);
    bad('setSettings', [{ scratches: 'off' }], /patch.scratches must be true or false/);
    bad('setSettings', [{ scratchSensitivity: 2 }], /patch.scratchSensitivity must be a number from 0 to 1/);
  });

  it('knows absolute paths per platform', () => {
    expect(isAbsolutePath('/home/x', 'posix')).toBe(true);
    expect(isAbsolutePath('C:\\photos', 'posix')).toBe(false);
    expect(isAbsolutePath('C:\\photos', 'win32')).toBe(true);
    expect(isAbsolutePath('D:/photos', 'win32')).toBe(true);
    expect(isAbsolutePath('\\\\nas\\share\\x', 'win32')).toBe(false); // a network path: refused, below
    expect(isAbsolutePath('C:photos', 'win32')).toBe(false);
    expect(isAbsolutePath('photos\\a', 'win32')).toBe(false);
    expect(isAbsolutePath('./a', 'any')).toBe(false);
    expect(() => validateRequest('loadPreview', ['C:\\a.png', 64], 'posix')).toThrow(ValidationError);
    expect(validateRequest('loadPreview', ['C:\\a.png', 64], 'win32')).toEqual(['C:\\a.png', 64]);
  });

  it.each([
    ['\\\\nas\\share\\a.jpg', 'network (UNC)'],
    ['//nas/share/a.jpg', 'network (UNC)'],
    ['\\\\?\\C:\\a.jpg', 'device path'],
    ['\\\\.\\PhysicalDrive0', 'device path'],
    ['\\??\\C:\\a.jpg', 'device path'],
    ['\\photos\\a.jpg', 'absolute path'],
    ['C:photos\\a.jpg', 'absolute path'],
    ['C:\\photos\\NUL', 'not of a device ("NUL")'],
    ['C:\\photos\\com1.jpg', 'not of a device ("com1.jpg")'],
    ['C:\\LPT1\\a.jpg', 'not of a device'],
    ['C:\\photos\\con .png', 'not of a device'],
    ['C:\\photos\\a.jpg:secret', 'alternate data streams'],
  ])('refuses the Windows path %s (%s)', (p, words) => {
    for (const platform of ['win32', 'any'] as const) {
      expect(() => validateRequest('loadPreview', [p, 64], platform)).toThrow(words);
    }
  });

  it('accepts ordinary Windows paths with device-like words inside names', () => {
    for (const p of ['C:\\photos\\console.jpg', 'D:/Scans/nullarbor/aux-1952.tif', 'C:\\com10\\a.png']) {
      expect(validateRequest('loadPreview', [p, 64], 'win32')).toEqual([p, 64]);
    }
  });

  it('caps the bytes of one path and of all the paths of a request', () => {
    const long = `/${'é'.repeat(LIMITS.pathBytes / 2)}`; // 2 bytes each: one byte over
    expect(() => validateRequest('loadPreview', [long, 64], 'posix')).toThrow(`at most ${LIMITS.pathBytes} bytes`);
    expect(validateRequest('loadPreview', [long.slice(0, -1), 64], 'posix')[0]).toBe(long.slice(0, -1));
    const each = `/${'a'.repeat(LIMITS.pathBytes - 1)}`;
    const n = Math.floor(LIMITS.requestPathBytes / LIMITS.pathBytes) + 1;
    expect(() => validateRequest('expandInputs', [Array(n).fill(each)], 'posix')).toThrow('together');
    expect(validateRequest('expandInputs', [Array(n - 1).fill(each)], 'posix')[0]).toHaveLength(n - 1);
    expect(() => validateRequest('expandInputs', [Array(LIMITS.inputs + 1).fill('/a')], 'posix')).toThrow(
      `a list of 0 to ${LIMITS.inputs} paths`,
    );
  });
});
