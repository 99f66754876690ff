// The IPC table (src/shared/ipc.ts) is the one place a request method is defined: its channel, validator and the side
// that serves it. These tests fail when a method of the table has no validator, no handler on its side, no
// forwarder in the engine client, or is missing from the preload or the e2e harness's window.revive.
import fs from 'node:fs';
import path from 'node:path';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { EngineService } from '../../src/core/service';
import { PathGrants } from '../../src/main/grants';
import { createDispatcher, type DispatchDeps } from '../../src/main/dispatch';
import { EngineClient } from '../../src/main/engine-protocol';
import { CH, ENGINE_METHODS, IPC, MAIN_METHODS, METHODS, validateRequest } from '../../src/shared/ipc';

const LOCAL = ['getPathForFile', 'onJobEvent', 'onRefineEvent', 'onCommand'];

describe('the IPC table', () => {
  it('gives every method a unique channel, a validator and a side', () => {
    const channels = METHODS.map((m) => IPC[m].channel);
    expect(new Set(channels).size).toBe(METHODS.length);
    for (const m of METHODS) {
      expect(IPC[m].channel).toMatch(/^revive:[a-z-]+$/);
      expect(CH[m]).toBe(IPC[m].channel);
      expect(IPC[m].args).toBeTypeOf('function');
      expect(['engine', 'main']).toContain(IPC[m].side);
      // the validator runs: a wrong number of arguments is refused, naming the method
      expect(() => validateRequest(m, [1, 2, 3, 4])).toThrow(new RegExp(`Invalid request to ${m}`));
    }
    expect([...ENGINE_METHODS, ...MAIN_METHODS].sort()).toEqual([...METHODS].sort());
  });

  it('every engine method is served by EngineService and forwarded by the engine client', () => {
    const client = new EngineClient(() => {
      throw new Error('not started in this test');
    });
    for (const m of ENGINE_METHODS) {
      expect(EngineService.prototype[m], `EngineService.${m}`).toBeTypeOf('function');
      expect(client[m], `EngineClient.${m}`).toBeTypeOf('function');
    }
  });

  it('a dispatcher without a handler for a main method is refused when made', () => {
    const engine = Object.fromEntries(ENGINE_METHODS.map((m) => [m, async () => m])) as unknown as DispatchDeps['engine'];
    const full: DispatchDeps = {
      engine,
      grants: new PathGrants('linux'),
      chooseFolder: async () => null,
      showInFolder: async () => {},
      setUnsavedWork: () => {},
    };
    expect(() => createDispatcher(full)).not.toThrow();
    for (const m of MAIN_METHODS) {
      const deps = { ...full } as Partial<DispatchDeps>;
      delete deps[m];
      expect(() => createDispatcher(deps as DispatchDeps)).toThrow(`No handler for ${m}`);
    }
    expect(() => createDispatcher({ ...full, grants: undefined as unknown as PathGrants })).toThrow('needs the path grants');
  });

  it('a request for an engine method the engine lacks fails with a message', async () => {
    const dispatch = createDispatcher({
      engine: {} as DispatchDeps['engine'],
      grants: new PathGrants('linux'),
      chooseFolder: async () => null,
      showInFolder: async () => {},
      setUnsavedWork: () => {},
    });
    await expect(dispatch('getInfo', [])).rejects.toThrow('No handler for getInfo');
  });

  it("the e2e harness's window.revive has exactly the table's methods plus the local ones", async () => {
    const calls: [string, unknown][] = [];
    const win: Record<string, unknown> = {
      __reviveMethods: METHODS,
      __reviveCall: async (m: string, a: unknown) => {
        calls.push([m, a]);
        return { value: m };
      },
    };
    const code = fs.readFileSync(path.join(__dirname, '../e2e/page/revive-harness.js'), 'utf8');
    vm.runInNewContext(code, { window: win, console });
    const api = win.revive as Record<string, (...a: unknown[]) => Promise<unknown>>;
    expect(Object.keys(api).sort()).toEqual([...METHODS, ...LOCAL].sort());
    await expect(api.saveRound('r', '/o.png')).resolves.toBe('saveRound');
    expect(calls).toEqual([['saveRound', ['r', '/o.png']]]);
    expect(() => vm.runInNewContext(code, { window: {}, console })).toThrow(/no method list/);
  });
});
