// Entry point of out/cli/revive.js (built by vite.cli.config.ts).
import { processIO } from './io';
import { runCli } from './main';

const controller = new AbortController();
let interrupted = false;
process.on('SIGINT', () => {
  if (interrupted) process.exit(130); // second Ctrl-C: leave now
  interrupted = true;
  process.stderr.write('\nCancelling (no partial files are left)... press Ctrl-C again to quit at once.\n');
  controller.abort();
});

runCli(process.argv.slice(2), processIO(controller.signal)).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    process.stderr.write(`revive: ${(e as Error)?.stack ?? String(e)}\n`);
    process.exitCode = 1;
  },
);
