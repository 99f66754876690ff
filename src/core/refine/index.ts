// src/core/refine: SDEdit refinement (see docs/refine.md). EngineService plugs refineServiceFactory in.
import type { RefineHost, RefineRunner as ServiceRefine, RefineRunnerFactory } from '../service';
import { ColorizeService } from '../colorize/service';
import { engineRefineRunner } from './backend';

export { RefineRunner } from './runner';
export { refineImage, RefineError } from './sdedit';

/** The refine side of EngineService: one RefineRunner whose events and provider reports go to the host. */
export const refineServiceFactory: RefineRunnerFactory = (host: RefineHost): ServiceRefine => {
  const runner = engineRefineRunner({
    modelsDir: host.modelsDir,
    sessions: host.sessions,
    quality: async () => (await host.getSettings()).quality,
    onProvider: (r) => host.setLastProvider(r),
  }, { gate: host.gate });
  runner.onEvent((e) => host.emit(e));
  const colorize = new ColorizeService(runner);
  return {
    startRefine: async (req) => ({ jobId: runner.start(req) }),
    getRefineResult: (jobId) => runner.getResult(jobId),
    saveRound: (roundId, outPath) => runner.saveRound(roundId, outPath),
    cancelRefine: async (jobId) => runner.cancel(jobId),
    colorize: (req) => colorize.colorize(req),
    dispose: () => runner.dispose(),
  };
};
