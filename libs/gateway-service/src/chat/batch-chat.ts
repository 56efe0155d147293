import {
  ChatResponse,
  type BatchChatResponse,
  type BatchChatStatus,
  type ChatInput,
} from '@internvl/contracts';
import { abortReasonToError, LimitExceededError } from '@internvl/errors';
import { toGrpcStatus, type CallContext } from '@internvl/service-kit';
import { withPrefix } from '../downstream/hop-error';
import { gatewayOption } from '../gateway-config';
import type { ChatEngine } from './chat-engine';
import { collectChat } from './collect-chat';

export interface BatchChatOptions {
  maxBatchInputs: number;
  /** Inputs of one batch run at once; the others wait for a free slot. */
  concurrency: number;
}

/** How many images one batch may have in preprocessing at once when batch_concurrency is 0 (auto). */
export const AUTO_BATCH_IMAGES = 32;

/**
 * batch_concurrency as configured, or (0) derived from max_images so that one batch keeps at most
 * about AUTO_BATCH_IMAGES images in preprocessing: half the preprocess tier's default queue of 64.
 */
export function batchConcurrency(configured: number, maxImages: number): number {
  if (configured > 0) return configured;
  return Math.max(1, Math.floor(AUTO_BATCH_IMAGES / Math.max(1, maxImages)));
}

const OK: BatchChatStatus = { code: 0, message: '' };

/**
 * Runs a batch's inputs, at most `concurrency` at once (so one legal batch cannot fill the
 * preprocess queue and refuse itself and everyone else), each on its own: an input that fails
 * gets an empty result and its own status ("input 2 of 3: …"), the others still answer. Only what
 * concerns the whole call fails it: too many inputs, or the call's cancel or deadline.
 */
export async function runBatchChat(
  engine: ChatEngine,
  inputs: readonly ChatInput[],
  ctx: CallContext,
  options: BatchChatOptions,
): Promise<BatchChatResponse> {
  const { maxBatchInputs, concurrency } = options;
  if (inputs.length > maxBatchInputs) {
    throw new LimitExceededError(
      `the batch has ${inputs.length} inputs, over the limit of ${maxBatchInputs} (max_batch_inputs); split it or raise ${gatewayOption('max_batch_inputs')}`,
    );
  }
  const results: ChatResponse[] = new Array<ChatResponse>(inputs.length);
  const statuses: BatchChatStatus[] = new Array<BatchChatStatus>(inputs.length);
  const run = { signal: ctx.signal, deadline: ctx.deadline, metadata: ctx.metadata };
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < inputs.length) {
      if (ctx.signal.aborted) throw abortReasonToError(ctx.signal.reason);
      const i = next++;
      try {
        results[i] = await collectChat(engine.stream(inputs[i]!, run));
        statuses[i] = OK;
      } catch (err) {
        if (ctx.signal.aborted) throw err; // the call's own cancel or deadline: no input's fault
        const { status, unexpected } = toGrpcStatus(withPrefix(err, `input ${i + 1} of ${inputs.length}`));
        if (unexpected) ctx.log.error({ err, input: i + 1 }, 'batch input failed with an unexpected error');
        results[i] = ChatResponse.fromPartial({});
        statuses[i] = { code: status.code, message: status.details };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, concurrency), inputs.length) }, worker));
  return { results, statuses };
}
