// Builds the Electron app into out/: main (two entries: the main process and the utility process that hosts the
// engine), the sandboxed preload (one CommonJS file with everything but `electron` bundled in), and the Svelte renderer.
import { resolve } from 'node:path';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'electron-vite';
import type { Plugin } from 'vite';

const root = __dirname;

/**
 * Under `npm run dev` only: the dev server injects styles as <style> elements and talks to the page over a
 * WebSocket, which the page's strict CSP forbids. The production build keeps the policy as written.
 */
const devCsp: Plugin = {
  name: 'revive-dev-csp',
  apply: 'serve',
  transformIndexHtml: (html) =>
    html
      .replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")
      .replace("connect-src 'self'", "connect-src 'self' ws://localhost:* ws://127.0.0.1:*"),
};

export default defineConfig({
  main: {
    build: {
      outDir: resolve(root, 'out/main'),
      // sharp, onnxruntime-node and heic-decode stay require()s of node_modules (native code, unpacked from the asar)
      externalizeDeps: true,
      rolldownOptions: {
        input: {
          index: resolve(root, 'src/main/index.ts'),
          'engine-host': resolve(root, 'src/electron-utility/engine-host.ts'),
        },
        output: { format: 'cjs', entryFileNames: '[name].js' },
      },
    },
  },
  preload: {
    build: {
      outDir: resolve(root, 'out/preload'),
      // a sandboxed preload can require() only `electron` (and a few Node polyfills): bundle everything else
      externalizeDeps: false,
      rolldownOptions: {
        input: { index: resolve(root, 'src/preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].js', codeSplitting: false },
      },
    },
  },
  renderer: {
    root: resolve(root, 'src/renderer'),
    plugins: [svelte({ configFile: false }), devCsp],
    build: {
      outDir: resolve(root, 'out/renderer'),
      rolldownOptions: { input: { index: resolve(root, 'src/renderer/index.html') } },
    },
  },
});
