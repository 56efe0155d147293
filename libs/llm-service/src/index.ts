export { llmApp, createLlmApp, type LlmRuntime, type LlmAppHooks } from './llm-app';
export { llmSchema } from './llm-config';
export { LlmModel } from './llm-model';
export {
  BatchScheduler,
  type BatchSchedulerOptions,
  type SchedulerObserver,
} from './scheduler/batch-scheduler';
export type { GenerationEvent, GenerationUsage, GenerationTimings } from './scheduler/generation-events';
export type { SequenceRequest } from './scheduler/sequence';
export type { StepModel } from './engine/step-model';
export { DecoderEngine } from './engine/decoder-engine';
