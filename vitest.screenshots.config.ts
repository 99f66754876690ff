import { defineConfig, mergeConfig } from 'vitest/config';
import e2e from './vitest.e2e.config';

// Regenerates the app pictures in docs/ (app-*.png) from the built page in Chromium: `npm run screenshots`.
export default mergeConfig(e2e, defineConfig({ test: { include: ['test/e2e/docs-screenshots.shots.ts'] } }));
