// Entry of the Electron utility process (src/electron-utility: code that runs there, not in main; built to
// out/main/engine-host.js, which main forks with utilityProcess.fork): hosts one EngineService,
// so decoding, inference and encoding never run on the main process's thread. Main sends it validated calls only.
// Arguments: --models-dir=<folder holding manifest.json> --user-data-dir=<folder for settings.json>.
import type {} from 'electron'; // types only: process.parentPort
import { argValue, serveEngine } from '../core/host';
import { EngineService } from '../core/service';

function main(): void {
  const port = process.parentPort;
  if (!port) {
    console.error('engine-host must run in an Electron utility process');
    process.exit(2);
  }
  const modelsDir = argValue(process.argv, 'models-dir');
  const userDataDir = argValue(process.argv, 'user-data-dir');
  if (!modelsDir || !userDataDir) {
    console.error('engine-host needs --models-dir= and --user-data-dir=');
    process.exit(2);
  }
  const version = argValue(process.argv, 'version');
  const engine = new EngineService({ modelsDir, userDataDir, ...(version ? { version } : {}) });
  serveEngine(port, engine);
  const stop = () => {
    engine.dispose().finally(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
}

main();
