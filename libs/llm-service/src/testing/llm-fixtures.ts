import { strict as assert } from 'node:assert';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { Metadata, type ServiceError, type status } from '@grpc/grpc-js';
import {
  ElementType,
  FinishReason,
  ImageLayout,
  LlmServiceClient,
  Role,
  type Finish,
  type GenerateHeader,
  type GenerateRequest,
  type GenerationParams,
  type PromptInfo,
  type RenderPromptRequest,
  type RenderPromptResponse,
  generationParams,
} from '@internvl/contracts';
import { CheckpointReader, makeTinyCheckpoint, type TinyCheckpoint } from '@internvl/checkpoint';
import { convertCheckpoint } from '@internvl/converter';
import { f32ToF16, type FloatArray } from '@internvl/float-formats';
import type { InternVLConfig, ModelManifest } from '@internvl/model-config';
import { greedyGenerate } from '@internvl/reference-model';
import { chunkBytes, duplexCall, runLocalService, type LocalService } from '@internvl/service-kit';
import { createLlmApp, type LlmAppHooks, type LlmRuntime } from '../llm-app';

// Test support shared by the llm specs: tiny models of both LLM types, the real service on port 0,
// and a client helper that collects one Generate call.

export type TinyLlm = 'phi3' | 'internlm2';

export interface TinyModel {
  checkpoint: TinyCheckpoint;
  dir: string;
}

/** A tiny random checkpoint of `llm` converted at fp32 into a fresh temp folder (~1 s). */
export async function buildTinyModel(llm: TinyLlm, seed = 3): Promise<TinyModel> {
  const work = mkdtempSync(join(tmpdir(), `internvl-llm-spec-${llm}-`));
  const checkpoint = makeTinyCheckpoint(join(work, `tiny-${llm}`), { llm, seed });
  const dir = join(work, 'model');
  await convertCheckpoint({ from: checkpoint.dir, to: dir, precision: 'fp32' });
  return { checkpoint, dir };
}

/**
 * Greedy tokens of the in-process reference forward on a checkpoint's own files, with the image
 * context and stop tokens of the converted model's manifest.
 */
export function referenceTokens(
  checkpoint: { config: InternVLConfig; dir: string },
  manifest: ModelManifest,
  ids: number[],
  imageRows: Float32Array | undefined,
  maxNewTokens: number,
): number[] {
  const { tokens } = manifest;
  return greedyGenerate(
    checkpoint.config,
    CheckpointReader.open(checkpoint.dir),
    ids,
    imageRows,
    tokens.imageContext,
    maxNewTokens,
    tokens.stop,
  );
}

export interface Served extends LocalService<LlmServiceClient> {
  runtime: LlmRuntime;
}

/** The real llm service on port 0 with the model in `dir`, its client and its runtime. */
export async function serve(dir: string, args: string[] = [], hooks: LlmAppHooks = {}): Promise<Served> {
  let runtime: LlmRuntime | undefined;
  const app = createLlmApp({
    ...hooks,
    onReady: (r) => {
      runtime = r;
      hooks.onReady?.(r);
    },
  });
  const local = await runLocalService(app, LlmServiceClient, [
    '--model',
    dir,
    '--log-level',
    'silent',
    ...args,
  ]);
  return { ...local, runtime: runtime! };
}

/** What {@link serveTinyModel} builds and how it serves it (see {@link buildTinyModel}, {@link serve}). */
export interface TinyServiceOptions {
  seed?: number;
  args?: string[];
  hooks?: LlmAppHooks;
}

/**
 * A suite's usual setup: a `before` hook that builds the tiny `llm` model and serves it, and an
 * `after` hook that stops it, both registered in the calling suite (or file). The returned `model`
 * and `served` read through to those once `before` has run.
 */
export function serveTinyModel(
  llm: TinyLlm,
  options: TinyServiceOptions = {},
): { model: TinyModel; served: Served } {
  let model: TinyModel | undefined;
  let served: Served | undefined;
  before(async () => {
    model = await buildTinyModel(llm, options.seed);
    served = await serve(model.dir, options.args, options.hooks);
  });
  after(() => served?.stop());
  return { model: readThrough(() => model, llm), served: readThrough(() => served, llm) };
}

function readThrough<T extends object>(current: () => T | undefined, llm: TinyLlm): T {
  return new Proxy({} as T, {
    get: (_, key) =>
      Reflect.get(current() ?? assert.fail(`tiny ${llm} model used before its suite started`), key),
  });
}

/** One image's embeddings to send: float32 rows [tiles * 256, hidden]. */
export interface SentImage {
  tiles: number;
  rows: Float32Array;
  /** Sent as float16 (rounded to nearest even) instead of float32. */
  fp16?: boolean;
}

/** An image of `tiles` tiles for `served`'s model: seeded rows in [-0.5, 0.5). */
export function randomImage(served: Served, seed: number, tiles = 1): SentImage {
  return { tiles, rows: seeded(tiles * 256 * served.runtime.model.hiddenSize, seed, 0.5) };
}

function wireRows(image: SentImage): FloatArray {
  return image.fp16 ? f32ToF16(image.rows) : image.rows;
}

export function user(text: string): { role: Role; text: string } {
  return { role: Role.ROLE_USER, text };
}

export function assistant(text: string): { role: Role; text: string } {
  return { role: Role.ROLE_ASSISTANT, text };
}

/** A header for a conversation; greedy unless `params` says otherwise. */
export function conversationHeader(
  turns: { role: Role; text: string }[],
  images: SentImage[] = [],
  params: Partial<GenerationParams> = {},
  options: { layout?: ImageLayout; systemMessage?: string; returnPrompt?: boolean } = {},
): GenerateHeader {
  return {
    prompt: {
      $case: 'conversation',
      value: {
        turns,
        imageLayout: options.layout ?? ImageLayout.IMAGE_LAYOUT_UNSPECIFIED,
        systemMessage: options.systemMessage,
      },
    },
    images: images.map((image) => ({
      numTiles: image.tiles,
      embeddings: {
        dtype: image.fp16 ? ElementType.ELEMENT_TYPE_FLOAT16 : ElementType.ELEMENT_TYPE_FLOAT32,
        shape: [image.tiles * 256, image.rows.length / (image.tiles * 256)],
        byteLength: wireRows(image).byteLength,
      },
    })),
    params: generationParams(params),
    returnPrompt: options.returnPrompt ?? false,
  };
}

/** Everything one Generate call streamed back. */
export interface Collected {
  prompt?: PromptInfo;
  deltas: { text: string; tokenIds: number[] }[];
  /** Choice 0's finish, text and ids (the only choice unless n > 1). */
  finish?: Finish;
  text: string;
  tokenIds: number[];
  /** Every choice by index. */
  choices: { text: string; tokenIds: number[]; finish?: Finish }[];
}

function* requestStream(header: GenerateHeader, images: SentImage[]): Generator<GenerateRequest> {
  yield { kind: { $case: 'header', value: header } };
  for (const image of images) {
    const rows = wireRows(image);
    const bytes = Buffer.from(rows.buffer, rows.byteOffset, rows.byteLength);
    for (const chunk of chunkBytes(bytes)) yield { kind: { $case: 'embeddingChunk', value: chunk } };
  }
}

/** Runs one Generate call to the end and collects its events. */
export async function generate(
  client: LlmServiceClient,
  header: GenerateHeader,
  images: SentImage[] = [],
  options: { signal?: AbortSignal; onDelta?: (n: number) => void; deadline?: Date } = {},
): Promise<Collected> {
  const out: Collected = { deltas: [], text: '', tokenIds: [], choices: [] };
  const choice = (index: number) => (out.choices[index] ??= { text: '', tokenIds: [] });
  const call = client.generate(new Metadata(), options.deadline ? { deadline: options.deadline } : {});
  for await (const response of duplexCall(call, requestStream(header, images), options.signal)) {
    const kind = response.kind;
    if (kind?.$case === 'prompt') out.prompt = kind.value;
    else if (kind?.$case === 'delta') {
      out.deltas.push(kind.value);
      const c = choice(kind.value.index);
      c.text += kind.value.text;
      c.tokenIds.push(...kind.value.tokenIds);
      options.onDelta?.(out.deltas.length);
    } else if (kind?.$case === 'finish') choice(kind.value.index).finish = kind.value;
  }
  const first = choice(0);
  return { ...out, text: first.text, tokenIds: first.tokenIds, finish: first.finish };
}

/** One RenderPrompt call: the prompt the tier builds for `request`. */
export async function renderPrompt(
  client: LlmServiceClient,
  request: RenderPromptRequest,
): Promise<PromptInfo> {
  const response = await new Promise<RenderPromptResponse>((resolve, reject) =>
    client.renderPrompt(request, (err, r) => (err ? reject(err) : resolve(r))),
  );
  return response.prompt!;
}

export async function expectError(call: Promise<unknown>, code: status, pattern: RegExp): Promise<void> {
  const err = await call.then(
    () => assert.fail('expected an error'),
    (e: ServiceError) => e,
  );
  assert.equal(err.code, code, `${err.code} ${err.details}`);
  assert.match(err.details, pattern);
}

/** Polls a server-side condition the test cannot await directly (slots, caches). */
export async function waitFor(what: string, condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Deterministic float32 values in [-scale, scale), distinct per seed. */
export function seeded(length: number, seed: number, scale = 1): Float32Array {
  let s = (seed * 2654435761) >>> 0;
  return Float32Array.from({ length }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32 - 0.5) * 2 * scale;
  });
}

export { FinishReason };
