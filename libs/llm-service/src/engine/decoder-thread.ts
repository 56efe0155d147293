// Inference thread of the llm tier (see InferenceThread in service-kit for why a thread). It owns
// the embed and decoder sessions and the KV cache manager; the event loop sends token ids and gets
// logits back.
import { workerData } from 'node:worker_threads';
import { FailedPreconditionError, InvalidArgumentError } from '@internvl/errors';
import type { FloatArray, FloatType } from '@internvl/float-formats';
import {
  DECODER_IO,
  EMBED_IO,
  rotaryRegime,
  writeRotaryRows,
  type RotaryRegime,
} from '@internvl/model-config';
import {
  appendKvRows,
  causalBias,
  createSession,
  decoderFeeds,
  decoderFetches,
  int64Tensor,
  kvTensor,
  pastBias,
  type KvWrite,
  type OrtResults,
  type OrtSession,
} from '@internvl/ort';
import { serveInferenceThread, transferable } from '@internvl/service-kit';
import { KvCacheManager } from '../kv-cache/kv-cache-manager';
import { imageDigest } from '../kv-cache/prefix-hash';
import type {
  EngineNote,
  EngineReady,
  EngineRequest,
  EngineResult,
  EngineThreadConfig,
} from './engine-protocol';
import type { PrefillProgress, PromptInput } from './step-model';

const config = workerData as EngineThreadConfig;
const { llm } = config;
const { numLayers, numKvHeads: KV, headDim: HD, hiddenSize: D } = llm;
const HALF = HD / 2;

const kv = new KvCacheManager({
  layout: { numLayers, kvHeads: KV, headDim: HD, dtype: config.kvDtype },
  budgetBytes: config.kvCacheBytes,
  blockTokens: config.kvBlockTokens,
  prefixCaching: config.prefixCaching,
  maxRows: config.maxRows,
});

/** A prompt being prefilled: its input embeddings and the rotation its whole length calls for. */
interface PrefillingPrompt {
  embeds: FloatArray;
  ids: Int32Array;
  regime: RotaryRegime;
  cached: number;
}

const prompts = new Map<number, PrefillingPrompt>();

function floatData(data: unknown, file: string, name: string, type: FloatType): FloatArray {
  if (data instanceof Float32Array || data instanceof Uint16Array) return data;
  throw new FailedPreconditionError(`${file} output ${name} is not a ${type} tensor`);
}

async function embedIds(embed: OrtSession, ids: ArrayLike<number>): Promise<FloatArray> {
  const out = await embed.run({ [EMBED_IO.inputIds]: int64Tensor(Array.from(ids), [1, ids.length]) });
  return floatData(out[EMBED_IO.inputsEmbeds]?.data, 'embed.onnx', EMBED_IO.inputsEmbeds, config.dtype);
}

async function promptEmbeds(embed: OrtSession, { inputIds, imageEmbeds }: PromptInput): Promise<FloatArray> {
  const embeds = await embedIds(embed, inputIds);
  if (imageEmbeds) {
    let row = 0;
    for (let t = 0; t < inputIds.length; t++) {
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

/** Per-image digests of the prompt's image rows, for the prefix-cache keys. */
function imagesOf(prompt: PromptInput): { digest: string; rows: number }[] {
  if (!prompt.imageEmbeds) return [];
  const counts = prompt.imageRows ?? [prompt.imageEmbeds.length / D];
  let at = 0;
  return counts.map((rows) => {
    const digest = imageDigest(prompt.imageEmbeds!.subarray(at * D, (at + rows) * D));
    at += rows;
    return { digest, rows };
  });
}

/**
 * Runs `count` new positions for each of `rows` arena rows starting at `firstRow`, row r after its
 * first `at[r]` cached positions, with rotation `cos`/`sin`; `writes` says which rows' new K/V go
 * into the arena.
 */
async function run(
  decoder: OrtSession,
  firstRow: number,
  rows: number,
  count: number,
  embeds: FloatArray,
  cos: Float32Array,
  sin: Float32Array,
  at: number[],
  logitsIndices: number[],
  writes: KvWrite[],
): Promise<OrtResults> {
  const capacity = kv.arena.capacity;
  const view = kv.arena.view(firstRow, rows);
  const dims = [rows, KV, capacity, HD];
  const out = await decoder.run(
    decoderFeeds({
      rows,
      seqLen: count,
      hiddenSize: D,
      embeds,
      cos,
      sin,
      pastKeys: view.keys.map((k) => kvTensor(k, dims)),
      pastValues: view.values.map((v) => kvTensor(v, dims)),
      pastBias: pastBias(at, capacity),
      newBias: count === 1 ? new Float32Array(rows) : causalBias(rows, count),
      logitsIndices,
    }),
    decoderFetches(numLayers),
  );
  for (let i = 0; i < numLayers; i++) {
    for (const kind of [0, 1] as const) {
      const name = kind === 0 ? DECODER_IO.newKey(i) : DECODER_IO.newValue(i);
      const fresh = floatData(out[name]?.data, 'decoder.onnx', name, config.kvDtype);
      appendKvRows(kv.arena.buffer(i, kind), capacity, fresh, KV, count, HD, writes);
    }
  }
  return out;
}

function logitsOf(out: OrtResults): Float32Array {
  const logits = out[DECODER_IO.logits]?.data;
  if (!(logits instanceof Float32Array)) {
    throw new FailedPreconditionError(`decoder.onnx output ${DECODER_IO.logits} is not a float32 tensor`);
  }
  return logits;
}

/** Runs the next `maxTokens` uncached positions of a prompt; its last position's logits once all are in. */
async function prefill(
  embed: OrtSession,
  decoder: OrtSession,
  seq: number,
  prompt: PromptInput | undefined,
  maxTokens: number,
): Promise<PrefillProgress> {
  if (prompt) {
    const regime = rotaryRegime(llm, prompt.inputIds.length);
    const cached = kv.open(seq, {
      ids: prompt.inputIds,
      promptLength: prompt.inputIds.length,
      imageContextId: config.imageContextId,
      images: imagesOf(prompt),
      regime: regime.key,
    });
    prompts.set(seq, { embeds: await promptEmbeds(embed, prompt), ids: prompt.inputIds, regime, cached });
  }
  const p = prompts.get(seq);
  if (!p) throw new InvalidArgumentError(`sequence ${seq} has no prompt being prefilled`);
  const done = kv.lengthOf(seq);
  const count = Math.min(maxTokens, p.ids.length - done);
  kv.reserve(seq, count);
  const cos = new Float32Array(count * HALF);
  const sin = new Float32Array(count * HALF);
  writeRotaryRows(
    p.regime,
    Array.from({ length: count }, (_, t) => done + t),
    cos,
    sin,
  );
  const row = kv.rowOf(seq);
  const embeds = p.embeds.subarray(done * D, (done + count) * D);
  const out = await run(
    decoder,
    row,
    1,
    count,
    embeds,
    cos,
    sin,
    [done],
    [count - 1],
    [{ from: 0, row, at: done }],
  );
  kv.advance(seq, p.ids.subarray(done, done + count), p.regime.key);
  if (done + count < p.ids.length) return { done: done + count, cachedTokens: p.cached };
  prompts.delete(seq);
  return { logits: logitsOf(out), done: done + count, cachedTokens: p.cached };
}

/**
 * One step for `seqs`: every arena row in use runs (rows being prefilled ride along masked, their
 * results dropped), so the cache is fed as one view; logits come back for `seqs` in their order.
 */
async function decode(
  embed: OrtSession,
  decoder: OrtSession,
  seqs: number[],
  tokens: number[],
): Promise<Float32Array> {
  const rows = kv.rowsInUse;
  const rowOf = seqs.map((s) => kv.rowOf(s));
  const fed = await embedIds(embed, tokens);
  const all = rowOf.every((r, i) => r === i) && rows === seqs.length;
  const embeds = all
    ? fed
    : config.dtype === 'float16'
      ? new Uint16Array(rows * D)
      : new Float32Array(rows * D);
  const at = kv.rowLengths();
  const cos = new Float32Array(rows * HALF).fill(1);
  const sin = new Float32Array(rows * HALF);
  // Each row turns with its own sequence's regime: position p is a forward of length p + 1.
  const regimes = rowOf.map((r) => rotaryRegime(llm, at[r]! + 1));
  rowOf.forEach((r, i) => {
    if (!all) (embeds as Float32Array).set((fed as Float32Array).subarray(i * D, (i + 1) * D), r * D);
    writeRotaryRows(regimes[i]!, [at[r]!], cos, sin, r);
  });
  for (const s of seqs) kv.reserve(s, 1);
  const writes = rowOf.map((r) => ({ from: r, row: r, at: at[r]! }));
  const out = await run(decoder, 0, rows, 1, embeds, cos, sin, at, rowOf, writes);
  seqs.forEach((seq, i) => kv.advance(seq, [tokens[i]!], regimes[i]!.key));
  return logitsOf(out);
}

function free(seqs: number[]): void {
  for (const seq of seqs) {
    prompts.delete(seq);
    kv.close(seq);
  }
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
  const answer = (logits: Float32Array, progress?: Omit<PrefillProgress, 'logits'>) => {
    const out = transferable(logits);
    return { result: { logits: out, ...progress, kv: kv.stats() }, transfer: [out.buffer as ArrayBuffer] };
  };
  return {
    ready: { provider: decoder.provider },
    async handle(request, note) {
      switch (request.type) {
        case 'prefill': {
          const { logits, ...progress } = await prefill(
            embed.session,
            decoder.session,
            request.seq,
            request.prompt,
            request.maxTokens,
          );
          return answer(logits ?? new Float32Array(0), progress);
        }
        case 'decode':
          return answer(await decode(embed.session, decoder.session, request.seqs, request.tokens));
        case 'fork':
          kv.fork(request.from, request.to);
          return answer(new Float32Array(0));
        case 'reorder':
          kv.reorder(request.seqs, request.sources);
          return answer(new Float32Array(0));
        case 'free':
          free(request.seqs);
          note({ kv: kv.stats() });
          return undefined;
      }
    },
    release: async () => {
      await Promise.all([embed.session.release(), decoder.session.release()]);
    },
  };
});
