// Builds bench/restore/bench.ts into bench/.tmp/restore/bench.cjs (ignored), like the CLI: CommonJS, Node, deps external.
import { defineConfig } from 'vite';

export default defineConfig({
  publicDir: false,
  logLevel: 'warn',
  build: {
    ssr: 'bench/restore/bench.ts',
    outDir: 'bench/.tmp/restore',
    emptyOutDir: false,
    target: 'node20',
    minify: false,
    copyPublicDir: false,
    rolldownOptions: { output: { format: 'cjs', entryFileNames: 'bench.cjs', codeSplitting: false } },
  },
});
