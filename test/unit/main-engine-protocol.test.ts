// Main <-> utility process: EngineClient (main's end) and serveEngine (the host's end) over in-memory ports shaped like
// Electron's UtilityProcess and process.parentPort: calls and answers, errors, events in order, Uint8Array intact,
// unknown methods refused, and a crashed engine never leaves the window waiting.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EventEmitter } from 'node:events';
import { afterAll, describe, expect, it } from 'vitest';
import { EngineService, type EngineMessage } from '../../src/core/service';
import { argValue, EngineClient, ENGINE_STOPPED, serveEngine, type ChildPort, type HostedEngine } from '../../src/main/engine-protocol';

/** A pair of ports: what the client posts arrives at the host as { data } (parentPort), and back as the bare value. */
function pair() {
  const child = new EventEmitter();
  const host = new EventEmitter();
  const port = {
    on: (ev: 'message', l: (e: { data: unknown }) => void) => host.on(ev, l),
    postMessage: (m: unknown) => setImmediate(() => child.emit('message', structuredClone(m))),
  };
  const childPort: ChildPort = {
    postMessage: (m: unknown) => setImmediate(() => host.emit('message', { data: structuredClone(m) })),
    on: (ev: string, l: (...a: unknown[]) => void) => child.on(ev, l),
  } as unknown as ChildPort;
  return { port, childPort, exit: (code = 1) => child.emit('exit', code) };
}

function fakeEngine(): HostedEngine & { emit(m: EngineMessage): void } {
  const ee = new EventEmitter();
  const e = {
    on: (l: (m: EngineMessage) => void) => {
      ee.on('m', l);
      return () => ee.off('m', l);
    },
    emit: (m: EngineMessage) => ee.emit('m', m),
    getInfo: async () => ({ version: '9.9.9', models: [], defaultRestore: '', providers: ['cpu'], lastProvider: null }),
    getSettings: async () => ({}) as never,
    setSettings: async () => ({}) as never,
    expandInputs: async (p: string[]) => p.map((x) => `${x}/1.png`),
    loadPreview: async () => ({ bytes: new Uint8Array([9, 8, 7]), mime: 'image/png' as const, width: 1, height: 1, fullWidth: 1, fullHeight: 1 }),
    startRestore: async () => ({ jobId: 'job-1' }),
    cancelJob: async () => undefined,
    startRefine: async () => ({ jobId: 'ref-1' }),
    getRefineResult: async () => {
      throw new Error('no refine job ref-9');
    },
    saveRound: async (_r: string, p: string) => p,
    cancelRefine: async () => undefined,
    colorize: async () => ({ preview: { bytes: new Uint8Array(1), mime: 'image/jpeg' as const, width: 1, height: 1, fullWidth: 1, fullHeight: 1 } }),
    refillScratches: async () => ({ jobId: 'job-2' }),
    loadScratchMask: async () => ({ bytes: new Uint8Array(1), mime: 'image/png' as const, width: 1, height: 1, fullWidth: 1, fullHeight: 1 }),
  };
  return e;
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'revive-proto-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('EngineClient + serveEngine', () => {
  it('answers calls, keeps bytes as Uint8Array, and reports errors as messages', async () => {
    const { port, childPort } = pair();
    const engine = fakeEngine();
    let spawned = 0;
    const client = new EngineClient(() => {
      spawned++;
      serveEngine(port, engine);
      return childPort;
    });
    expect(spawned).toBe(0); // lazily, at the first call
    expect((await client.getInfo()).version).toBe('9.9.9');
    expect(await client.expandInputs(['/a', '/b'])).toEqual(['/a/1.png', '/b/1.png']);
    const p = await client.loadPreview('/a.png', 64);
    expect(p.bytes).toBeInstanceOf(Uint8Array);
    expect([...p.bytes]).toEqual([9, 8, 7]);
    await expect(client.getRefineResult('ref-9')).rejects.toThrow('no refine job ref-9');
    expect(spawned).toBe(1);
  });

  it('refuses methods that are not the engine’s', async () => {
    const { port, childPort } = pair();
    serveEngine(port, fakeEngine());
    const client = new EngineClient(() => childPort);
    await expect(client.call('dispose' as never, [] as never)).rejects.toThrow(/no method dispose/);
    await expect(client.call('constructor' as never, [] as never)).rejects.toThrow(/no method/);
  });

  it('relays engine events in order', async () => {
    const { port, childPort } = pair();
    const engine = fakeEngine();
    const client = new EngineClient(() => {
      serveEngine(port, engine);
      return childPort;
    });
    const got: EngineMessage[] = [];
    client.on((m) => got.push(m));
    await client.getInfo();
    for (let i = 0; i < 5; i++) {
      engine.emit({ channel: 'job', event: { type: 'file-progress', jobId: 'j', index: 0, fraction: i / 4 } });
    }
    engine.emit({ channel: 'refine', event: { type: 'done', jobId: 'r', ok: true } });
    await new Promise((r) => setTimeout(r, 20));
    expect(got.map((m) => (m.event.type === 'file-progress' ? m.event.fraction : m.event.type))).toEqual([0, 0.25, 0.5, 0.75, 1, 'done']);
  });

  it('after a crash: pending calls reject in words, running jobs get a closing event, the next call restarts it', async () => {
    const first = pair();
    const second = pair();
    const engine = fakeEngine();
    const hung = { ...engine, getSettings: () => new Promise<never>(() => undefined) };
    const ports = [first, second];
    let n = 0;
    const client = new EngineClient(() => {
      const p = ports[n++];
      serveEngine(p.port, n === 1 ? hung : engine);
      return p.childPort;
    });
    const got: EngineMessage[] = [];
    client.on((m) => got.push(m));
    await client.startRestore({ inputs: ['/a'], outDir: '/o', settings: { device: 'cpu', strength: 1, format: 'png', quality: 90 } });
    await client.startRefine({ source: { path: '/a' }, strokes: new Uint8Array(1), settings: {} as never });
    engine.emit({ channel: 'job', event: { type: 'file-start', jobId: 'job-1', index: 0, input: '/a', output: '/o/a' } });
    await new Promise((r) => setTimeout(r, 10));
    expect(client.activeJobs().sort()).toEqual(['job-1', 'ref-1']);
    const pending = client.getSettings();
    await new Promise((r) => setTimeout(r, 10));
    first.exit(3);
    await expect(pending).rejects.toThrow(ENGINE_STOPPED);
    const done = got.filter((m) => m.event.type === 'done');
    expect(done.map((m) => [m.channel, m.event.jobId]).sort()).toEqual([['job', 'job-1'], ['refine', 'ref-1']]);
    expect(client.activeJobs()).toEqual([]);
    expect((await client.getInfo()).version).toBe('9.9.9'); // a fresh engine
    expect(n).toBe(2);
  });

  it('serves a real EngineService (settings persist in the user data folder)', async () => {
    const { port, childPort } = pair();
    const service = new EngineService({
      modelsDir: path.resolve(__dirname, '../fixtures/models'),
      userDataDir: path.join(tmp, 'user'),
      refineBackend: null,
    });
    const client = new EngineClient(() => {
      serveEngine(port, service);
      return childPort;
    });
    const s = await client.setSettings({ format: 'webp', quality: 77 });
    expect(s).toMatchObject({ format: 'webp', quality: 77 });
    expect(JSON.parse(fs.readFileSync(path.join(tmp, 'user/settings.json'), 'utf8')).format).toBe('webp');
    const info = await client.getInfo();
    expect(info.models.some((m) => m.kind === 'restore' && m.sha256Ok)).toBe(true);
    expect(await client.expandInputs([path.join(tmp, 'nothing-here')])).toEqual([]);
    await service.dispose();
  });

  it('reads its --name=value arguments', () => {
    const argv = ['electron', 'host.js', '--models-dir=/app/resources/models', '--user-data-dir=/home/u/.config/Revive'];
    expect(argValue(argv, 'models-dir')).toBe('/app/resources/models');
    expect(argValue(argv, 'user-data-dir')).toBe('/home/u/.config/Revive');
    expect(argValue(argv, 'version')).toBeUndefined();
  });
});
