// The engine's public surface for the app (src/main's utility process) and tools: plain Node, no electron.
export { EngineService, SETTINGS_FILE } from './service';
export type { EngineListener, EngineMessage, EngineServiceOptions, RefineHost, RefineRunner, RefineRunnerFactory } from './service';
export { findModelsDir, loadManifest, getModel, verifyModel, checkModels, ModelError } from './models/manifest';
export { availableProviders, describeReport, SessionCache } from './inference/session';
export { collectInputs, planOutputs, runRestoreJob } from './jobs/batch';
export { restoreImage } from './restore/restore';
