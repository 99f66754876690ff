import { defineConfig, mergeConfig } from 'vitest/config';
import e2e from './vitest.e2e.config';

// Regenerates the app pictures in docs/ (app-*.png) from the built page in Chromium: `npm run screenshots`.
// mergeConfig concatenates arrays, so the e2e tests' include is replaced here, not added to: only the generator runs.
const config = mergeConfig(e2e, defineConfig({ test: { retry: 0 } }));
config.test!.include = ['test/e2e/docs-screenshots.shots.ts'];
export default config;
