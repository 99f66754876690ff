// Entry point of out/cli/revive.js (built by vite.cli.config.ts).
import { removeLiveTempsSync } from '../core/image/encode';
import { releaseAllSync } from '../core/jobs/ledger';
import { commandArgs, processIO } from './io';
import { runCli } from './main';

const controller = new AbortController();
let interrupted = false;
// Ctrl-C or a SIGTERM (a scheduler stopping the job): finish cleanly, no partial files; a second one: leave now,
// still removing the temp file of a write in progress
const stop = (signal: NodeJS.Signals) => {
  if (interrupted) {
    removeLiveTempsSync();
    releaseAllSync();
    process.exit(130);
  }
  interrupted = true;
  const again = signal === 'SIGINT' ? 'press Ctrl-C again' : 'send it again';
  process.stderr.write(`\nCancelling (no partial files are left)... ${again} to quit at once.\n`);
  controller.abort();
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);

// The reader of stdout went away (`revive restore photos/ -o out --json | head -1`): other tools die of SIGPIPE there;
// this one stops cleanly instead (the job is cancelled: the photo in progress leaves no partial file, claims are let
// go) and writes nothing more to stdout.
let stdoutGone = false;
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code !== 'EPIPE') throw e;
  stdoutGone = true;
  if (!interrupted) {
    interrupted = true;
    controller.abort();
  }
});
const io = processIO(controller.signal);
const write = io.out;
io.out = (s) => {
  if (!stdoutGone) write(s);
};

runCli(commandArgs(), io).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    process.stderr.write(`revive: ${(e as Error)?.stack ?? String(e)}\n`);
    process.exitCode = 1;
  },
);
