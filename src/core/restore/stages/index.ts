// Every restore stage, in the order a photo goes through them. Adding a stage: a module in this folder implementing
// Stage (./stage.ts), and one line here.
import { localStage } from './local';
import { scratchStage } from './scratches';
import { toneStage } from './tone';
import type { Stage } from './stage';

export type { LoadedStage, PhotoContext, Stage, StageJob, StageOutput } from './stage';

export const STAGES: readonly Stage[] = [toneStage, scratchStage, localStage];
