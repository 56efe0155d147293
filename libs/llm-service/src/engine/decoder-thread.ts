// Inference thread of the llm tier (see InferenceThread in service-kit for why a thread). It owns
// the embed and decoder sessions and every sequence's KV cache; the event loop sends token ids and
// gets logits back.
import { workerData } from 'node:worker_threads';
import { FailedPreconditionError, InvalidArgumentError } from '@internvl/errors';
import {
  createSession,
  float16Tensor,
  float32Tensor,
  int64Tensor,
  type OrtFeeds,
  type OrtResults,
  type OrtSession,
  type OrtTensor,
} from '@internvl/ort';
import { serveInferenceThread, transferable } from '@internvl/service-kit';
import type {
  EngineNote,
  EngineReady,
  EngineRequest,
  EngineResult,
  EngineThreadConfig,
} from './engine-protocol';
import { packKvRows, type KvArray } from './kv-rows';
import type { PromptInput } from './step-model';

const config = workerData as EngineThreadConfig;
const { numLayers, numKvHeads: KV, headDim: HD, hiddenSize: D } = config;

/** KV of some sequences in decoder layout: per layer key and value `[rows, KV, capacity, HD]`. */
interface KvBlock {
  seqs: number[];
  keys: KvArray[];
  values: KvArray[];
  capacity: number;
  /** Valid positions per row. */
  lengths: number[];
  /** ORT tensors over keys/values, made once for a decoding block and fed as past and present. */
  tensors?: { keys: OrtTensor[]; values: OrtTensor[] };
}

/**
 * Positions a decoding block gains each time it is packed. Its buffers then serve as both past
 * and present: GroupQueryAttention sees one buffer and writes each new token in place (no concat
 * copy, no new output buffers per step) until the longest row reaches the capacity.
 */
const HEADROOM = 16;

/** Sampling needs the last position's logits only (a prefill would otherwise return every one). */
const LAST_POSITION = int64Tensor([1], []);

/** Sequences prefilled but not yet decoding (one block each), and the block of those decoding. */
const waiting = new Map<number, KvBlock>();
let decoding: KvBlock | undefined;
const freed = new Set<number>();

function tensor(data: KvArray, dims: number[]): OrtTensor {
  return data instanceof Uint16Array ? float16Tensor(data, dims) : float32Tensor(data, dims);
}

function kvData(t: OrtTensor | undefined, name: string): KvArray {
  const data: unknown = t?.data;
  if (data instanceof Float32Array || data instanceof Uint16Array) return data;
  throw new FailedPreconditionError(`decoder.onnx output ${name} is not a ${config.dtype} tensor`);
}

async function embedIds(embed: OrtSession, ids: ArrayLike<number>, rows: number): Promise<KvArray> {
  const out = await embed.run({ input_ids: int64Tensor(Array.from(ids), [rows, ids.length / rows]) });
  return kvData(out.inputs_embeds, 'inputs_embeds');
}

/**
 * What every decoder run is fed besides the cache: the new positions' embeddings [rows, seqLen, D],
 * each row's total length as a right-padded mask, and a request for the last position's logits.
 */
function stepFeeds(embeds: KvArray, seqLen: number, lengths: readonly number[]): OrtFeeds {
  const rows = lengths.length;
  const total = Math.max(...lengths);
  const mask = new BigInt64Array(rows * total);
  lengths.forEach((n, r) => mask.fill(1n, r * total, r * total + n));
  return {
    inputs_embeds: tensor(embeds, [rows, seqLen, D]),
    attention_mask: int64Tensor(mask, [rows, total]),
    logits_to_keep: LAST_POSITION,
  };
}

function logitsOf(out: OrtResults): Float32Array {
  const logits = out.logits?.data;
  if (!(logits instanceof Float32Array)) {
    throw new FailedPreconditionError('decoder.onnx output logits is not a float32 tensor');
  }
  return logits;
}

/** One sequence's next prompt positions after `past`: the last position's logits and the grown KV. */
async function prefillRun(
  decoder: OrtSession,
  embeds: KvArray,
  count: number,
  past: KvBlock,
): Promise<{ logits: Float32Array; block: KvBlock }> {
  const length = past.lengths[0]! + count;
  const feeds = stepFeeds(embeds, count, [length]);
  for (let i = 0; i < numLayers; i++) {
    feeds[`past_key_values.${i}.key`] = tensor(past.keys[i]!, [1, KV, past.capacity, HD]);
    feeds[`past_key_values.${i}.value`] = tensor(past.values[i]!, [1, KV, past.capacity, HD]);
  }
  const out = await decoder.run(feeds);
  const block: KvBlock = {
    seqs: past.seqs,
    keys: [],
    values: [],
    capacity: out['present.0.key']?.dims[2] ?? length,
    lengths: [length],
  };
  for (let i = 0; i < numLayers; i++) {
    block.keys.push(kvData(out[`present.${i}.key`], `present.${i}.key`));
    block.values.push(kvData(out[`present.${i}.value`], `present.${i}.value`));
  }
  return { logits: logitsOf(out), block };
}

/** The cache of a sequence before its first prompt chunk. */
function emptyBlock(seq: number): KvBlock {
  const none = config.dtype === 'float16' ? new Uint16Array(0) : new Float32Array(0);
  return {
    seqs: [seq],
    keys: Array.from({ length: numLayers }, () => none),
    values: Array.from({ length: numLayers }, () => none),
    capacity: 0,
    lengths: [0],
  };
}

/** Prompts being prefilled in chunks: their input embeddings and how many positions are in. */
const prompts = new Map<number, { embeds: KvArray; length: number; done: number }>();

async function promptEmbeds(embed: OrtSession, { inputIds, imageEmbeds }: PromptInput): Promise<KvArray> {
  const n = inputIds.length;
  const embeds = await embedIds(embed, inputIds, 1);
  if (imageEmbeds) {
    let row = 0;
    for (let t = 0; t < n; t++) {
      if (inputIds[t] !== config.imageContextId) continue;
      if ((row + 1) * D > imageEmbeds.length) {
        throw new InvalidArgumentError('fewer image embedding rows than <IMG_CONTEXT> tokens');
      }
      (embeds as Float32Array).set((imageEmbeds as Float32Array).subarray(row * D, (row + 1) * D), t * D);
      row++;
    }
  }
  return embeds;
}

/** Runs the next `maxTokens` positions of a prompt; the last position's logits once it is all in. */
async function prefill(
  embed: OrtSession,
  decoder: OrtSession,
  seq: number,
  prompt: PromptInput | undefined,
  maxTokens: number,
): Promise<Float32Array> {
  if (prompt)
    prompts.set(seq, { embeds: await promptEmbeds(embed, prompt), length: prompt.inputIds.length, done: 0 });
  const p = prompts.get(seq);
  if (!p) throw new InvalidArgumentError(`sequence ${seq} has no prompt being prefilled`);
  const count = Math.min(maxTokens, p.length - p.done);
  const chunk = p.embeds.slice(p.done * D, (p.done + count) * D);
  const past = waiting.get(seq) ?? emptyBlock(seq);
  const { logits, block } = await prefillRun(decoder, chunk, count, past);
  waiting.set(seq, block);
  p.done += count;
  if (p.done < p.length) return new Float32Array(0);
  prompts.delete(seq);
  return logits;
}

/** The decoding block for exactly `seqs`, in that order: reused as is, or packed anew. */
function blockFor(seqs: number[]): KvBlock {
  const same =
    decoding && decoding.seqs.length === seqs.length && decoding.seqs.every((s, i) => s === seqs[i]);
  if (same && Math.max(...decoding!.lengths) < decoding!.capacity) return decoding!;
  const sources = seqs.map((seq) => {
    const r = decoding ? decoding.seqs.indexOf(seq) : -1;
    if (r >= 0) return { block: decoding!, row: r };
    const block = waiting.get(seq);
    if (!block) throw new InvalidArgumentError(`sequence ${seq} has no KV cache (not prefilled, or freed)`);
    return { block, row: 0 };
  });
  const lengths = sources.map((s) => s.block.lengths[s.row]!);
  const capacity = Math.max(...lengths) + HEADROOM;
  const pack = (pick: (b: KvBlock) => KvArray) =>
    packKvRows(
      sources.map((s) => ({
        data: pick(s.block),
        capacity: s.block.capacity,
        row: s.row,
        length: s.block.lengths[s.row]!,
      })),
      config.dtype,
      KV,
      HD,
      capacity,
    );
  const block: KvBlock = { seqs: [...seqs], keys: [], values: [], capacity, lengths };
  for (let i = 0; i < numLayers; i++) {
    block.keys.push(pack((b) => b.keys[i]!));
    block.values.push(pack((b) => b.values[i]!));
  }
  for (const seq of seqs) waiting.delete(seq);
  freed.clear();
  return block;
}

async function decode(
  embed: OrtSession,
  decoder: OrtSession,
  seqs: number[],
  tokens: number[],
): Promise<Float32Array> {
  const block = blockFor(seqs);
  decoding = block;
  const embeds = await embedIds(embed, tokens, seqs.length);
  const lengths = block.lengths.map((n) => n + 1);
  const dims = [seqs.length, KV, block.capacity, HD];
  const tensors = (block.tensors ??= {
    keys: block.keys.map((k) => tensor(k, dims)),
    values: block.values.map((v) => tensor(v, dims)),
  });
  const feeds = stepFeeds(embeds, 1, lengths);
  const fetches: Record<string, OrtTensor | null> = { logits: null };
  for (let i = 0; i < numLayers; i++) {
    feeds[`past_key_values.${i}.key`] = fetches[`present.${i}.key`] = tensors.keys[i]!;
    feeds[`past_key_values.${i}.value`] = fetches[`present.${i}.value`] = tensors.values[i]!;
  }
  const out = await decoder.run(feeds, fetches);
  block.lengths = lengths;
  return logitsOf(out);
}

function free(seqs: number[]): void {
  for (const seq of seqs) {
    waiting.delete(seq);
    prompts.delete(seq);
    if (decoding?.seqs.includes(seq)) freed.add(seq);
  }
  // A block whose rows all ended is dropped now; one with live rows sheds the dead ones at its next repack.
  if (decoding && decoding.seqs.every((s) => freed.has(s))) {
    decoding = undefined;
    freed.clear();
  }
}

function cachedBytes(): number {
  let bytes = 0;
  for (const block of [...waiting.values(), ...(decoding ? [decoding] : [])]) {
    for (const a of [...block.keys, ...block.values]) bytes += a.byteLength;
  }
  return bytes;
}

serveInferenceThread<EngineRequest, EngineReady, EngineResult, EngineNote>(async (warn) => {
  const open = (file: string) =>
    createSession(file, {
      provider: config.provider,
      deviceId: config.deviceId,
      requireGpu: config.requireGpu,
      intraOpNumThreads: config.intraOpThreads,
      log: warn,
    });
  const embed = await open(config.embedFile);
  const decoder = await open(config.decoderFile);
  const answer = (logits: Float32Array) => {
    const out = transferable(logits);
    return { result: { logits: out, cachedBytes: cachedBytes() }, transfer: [out.buffer as ArrayBuffer] };
  };
  return {
    ready: { provider: decoder.provider },
    async handle(request, note) {
      switch (request.type) {
        case 'prefill':
          return answer(
            await prefill(embed.session, decoder.session, request.seq, request.prompt, request.maxTokens),
          );
        case 'decode':
          return answer(await decode(embed.session, decoder.session, request.seqs, request.tokens));
        case 'free':
          free(request.seqs);
          note({ cachedBytes: cachedBytes() });
          return undefined;
      }
    },
    release: async () => {
      await Promise.all([embed.session.release(), decoder.session.release()]);
    },
  };
});
