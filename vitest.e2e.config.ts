import { defineConfig } from 'vitest/config';

// End-to-end tests of the renderer: the built page (out/renderer) in Chromium, driven by playwright-core, against a
// real EngineService behind the same typed API the preload exposes (test/e2e/harness.ts). One file at a time: the
// machine's cores go to the engine.
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.test.ts'],
    environment: 'node',
    globalSetup: ['test/helpers/photos-setup.ts', 'test/e2e/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    fileParallelism: false,
    maxWorkers: 1,
    expect: { poll: { timeout: 20_000, interval: 100 } },
    // One retry: once, in a fresh clone, the batch test's job never reached its summary within 45 s and could not be
    // reproduced in 9 reruns (see the session note). A real, consistent failure still fails on the retry, and a failing
    // test prints the harness trace (requests, replies, engine events and their delivery, with times).
    retry: 1,
  },
});
