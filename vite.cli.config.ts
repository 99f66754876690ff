// Builds the `revive` command line into one CommonJS file, out/cli/revive.js (package.json "bin"), for plain Node.
// SSR/library mode: Node built-ins and node_modules (sharp, onnxruntime-node, heic-decode) stay external requires.
import { chmodSync, existsSync } from 'node:fs';
import path from 'node:path';
import { defineConfig, type Plugin } from 'vite';

const outDir = 'out/cli';

const executable: Plugin = {
  name: 'revive-cli-executable',
  writeBundle(opts) {
    const file = path.resolve(opts.dir ?? outDir, 'revive.js');
    if (existsSync(file)) chmodSync(file, 0o755);
  },
};

export default defineConfig({
  publicDir: false,
  logLevel: 'warn',
  plugins: [executable],
  ssr: { target: 'node' },
  build: {
    ssr: 'src/cli/revive.ts',
    outDir,
    emptyOutDir: true,
    target: 'node20',
    minify: false,
    sourcemap: false,
    copyPublicDir: false,
    rolldownOptions: {
      output: {
        format: 'cjs',
        entryFileNames: 'revive.js',
        codeSplitting: false,
        banner: '#!/usr/bin/env node',
      },
    },
  },
});
