import { commonServerSchema, defineSchema, executionSchema } from '@internvl/service-kit';

/** Config of the llm tier (on top of the options every tier shares). */
export const llmSchema = defineSchema({
  // The gateway forwards a whole conversation in one message: as large as the gateway's own
  // limits (64 MiB body / message) plus the 1 MiB it may add, so whatever it accepted fits here.
  max_receive_message_bytes: {
    ...commonServerSchema.max_receive_message_bytes,
    default: 65 * 1024 * 1024,
    doc: "Largest single request message accepted; a Generate header carries the whole conversation, so keep it at least the gateway's larger of --max-receive-message-bytes and --max-body-bytes plus 1 MiB.",
  },
  model: {
    type: 'string',
    default: '',
    doc: 'Model directory made by `internvl convert` (manifest.json, embed.onnx, decoder.onnx, tokenizer.json). Required.',
  },
  ...executionSchema(2),
  max_active_sequences: {
    type: 'int',
    default: 16,
    min: 1,
    max: 4096,
    doc: 'Sequences decoding together in one decoder run per step (continuous batching); more wait in the queue.',
  },
  max_queue: {
    type: 'int',
    default: 64,
    min: 0,
    doc: 'Sequences allowed to wait for a slot; more are refused with RESOURCE_EXHAUSTED (a scaling signal).',
  },
  prefill_chunk_tokens: {
    type: 'int',
    default: 512,
    min: 1,
    doc: 'Most prompt tokens prefilled between two decode steps; a longer prompt goes in over several steps so running streams keep generating (lower: steadier streams, slower first tokens).',
  },
  default_max_new_tokens: {
    type: 'int',
    default: 512,
    min: 1,
    doc: 'max_new_tokens when a request does not say (clamped to the context left after the prompt).',
  },
  max_new_tokens_limit: {
    type: 'int',
    default: 4096,
    min: 1,
    doc: 'Largest max_new_tokens a request may ask for.',
  },
  max_stop_strings: { type: 'int', default: 16, min: 0, doc: 'Most stop strings in one request.' },
  kv_cache_bytes: {
    type: 'int',
    default: 0,
    min: 0,
    doc: 'Bytes the KV cache (running sequences + prefix cache) may hold; 0 = 30% of system memory. A request waits until its prompt + max_new_tokens fit; one that could never fit is refused with INVALID_ARGUMENT.',
  },
  prefix_caching: {
    type: 'bool',
    default: true,
    doc: 'Keep KV blocks of prompts and answers for later requests with the same prefix (the next round of a chat, several questions about one image); least recently used blocks give way.',
  },
  kv_block_tokens: {
    type: 'int',
    default: 16,
    min: 1,
    max: 4096,
    doc: 'Positions per prefix-cache block: a prefix is reused in whole blocks.',
  },
  allow_special_tokens: {
    type: 'bool',
    default: false,
    doc: 'Let special-token text in messages (<|end|>, <|im_start|>, ...) become control tokens, as in the template: for trusted callers only. Off: it is plain text, so no message can close its turn or open another.',
  },
});
