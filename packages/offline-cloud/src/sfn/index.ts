/** The offline cloud's Step Functions + Lambda emulator (see service.ts). */
export { createStepFunctionsService, StepFunctionsService } from './regional';
export { StepFunctionsStore } from './service';
export type { StateMachineRecord, StepFunctionsState } from './service';
export type { ExecutionRecord, ExecutionStatus } from './execution';
export type { HistoryEventRecord } from './history';
export type { ScheduleSpec } from './schedule';
export { LambdaInvokeError } from '../lambda/runtime';
export type { FunctionConfig } from '../lambda/runtime';
