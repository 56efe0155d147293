/**
 * Why a generation ended: `stop` (a stop token or stop string), `length` (max_new_tokens or the
 * context limit), `cancelled` (the caller went away). Same words as the OpenAI API's finish_reason.
 */
export type FinishReason = 'stop' | 'length' | 'cancelled';

/** Every {@link FinishReason}, for validation and exhaustive tests. */
export const FINISH_REASONS: readonly FinishReason[] = ['stop', 'length', 'cancelled'];
