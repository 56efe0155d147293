import {
  FinishReason as WireFinishReason,
  type GenerateRequest,
  type GenerateResponse,
  type GetLlmInfoRequest,
  type GetLlmInfoResponse,
  type RenderPromptRequest,
  type RenderPromptResponse,
} from '@internvl/contracts';
import { InvalidArgumentError } from '@internvl/errors';
import { toFloatTypeInSteps } from '@internvl/float-formats';
import type { FinishReason } from '@internvl/generation';
import type { CallContext } from '@internvl/service-kit';
import type { KvArray } from '@internvl/ort';
import type { LlmModel } from './llm-model';
import { buildPrompt, type PromptContext } from './request/build-prompt';
import { generationSettings, type GenerationLimits } from './request/generation-settings';
import { readGenerateRequest, type ReceivedImage } from './request/read-generate-request';
import type { BatchScheduler } from './scheduler/batch-scheduler';

export interface LlmHandlerDeps {
  model: LlmModel;
  scheduler: BatchScheduler;
  limits: Omit<GenerationLimits, 'maxContextTokens' | 'vocabSize' | 'templateStopIds'>;
  maxActiveSequences: number;
}

const WIRE_REASON: Record<FinishReason, WireFinishReason> = {
  stop: WireFinishReason.FINISH_REASON_STOP,
  length: WireFinishReason.FINISH_REASON_LENGTH,
  cancelled: WireFinishReason.FINISH_REASON_CANCELLED,
};

function promptContext(model: LlmModel): PromptContext {
  return {
    template: model.template,
    tokenizer: model.tokenizer,
    tokensPerTile: model.tokensPerTile,
    imageContextId: model.manifest.tokens.imageContext,
  };
}

/** All images' rows, in order, as one array in the decoder's element type. */
async function imageRows(
  images: ReceivedImage[],
  dtype: 'float32' | 'float16',
): Promise<KvArray | undefined> {
  if (images.length === 0) return undefined;
  const length = images.reduce((n, i) => n + i.embeds.length, 0);
  const out = dtype === 'float16' ? new Uint16Array(length) : new Float32Array(length);
  let offset = 0;
  for (const { embeds } of images) {
    await toFloatTypeInSteps(embeds, dtype, out.subarray(offset, offset + embeds.length));
    offset += embeds.length;
  }
  return out;
}

/**
 * LlmService/Generate: header + image embeddings in; optional PromptInfo, then one TextDelta per
 * generated token and a Finish out. Everything is checked before the sequence is queued.
 */
export async function* handleGenerate(
  requests: AsyncIterable<GenerateRequest>,
  ctx: CallContext,
  deps: LlmHandlerDeps,
): AsyncGenerator<GenerateResponse> {
  const { model, scheduler } = deps;
  const { header, images } = await readGenerateRequest(requests, {
    hiddenSize: model.hiddenSize,
    tokensPerTile: model.tokensPerTile,
    maxContextTokens: model.maxContextTokens,
  });
  const prompt = buildPrompt(
    header,
    images.map((i) => i.numTiles),
    promptContext(model),
  );
  const settings = generationSettings(header.params, prompt.ids.length, prompt.imageTokens, {
    ...deps.limits,
    maxContextTokens: model.maxContextTokens,
    vocabSize: model.tokenizer.vocabSize,
    templateStopIds: model.manifest.tokens.stop,
  });
  const events = scheduler.submit(
    {
      inputIds: Int32Array.from(prompt.ids),
      imageEmbeds: await imageRows(images, model.manifest.decoderDtype),
      imageRows: images.map((i) => i.numTiles * model.tokensPerTile),
      imageTokens: prompt.imageTokens,
      ...settings,
      decode: (ids) => model.tokenizer.decode(ids),
      specialIds: model.tokenizer.specialIds,
    },
    ctx.signal,
  );
  if (header.returnPrompt) {
    yield { kind: { $case: 'prompt', value: { text: prompt.text, inputIds: prompt.ids } } };
  }
  for await (const event of events) {
    if (event.type === 'delta') {
      yield {
        kind: {
          $case: 'delta',
          value: { text: event.text, tokenIds: event.tokenIds, logprobs: [], index: 0 },
        },
      };
    } else {
      yield {
        kind: {
          $case: 'finish',
          value: { reason: WIRE_REASON[event.reason], usage: event.usage, timings: event.timings, index: 0 },
        },
      };
    }
  }
}

/** LlmService/RenderPrompt: the prompt and ids Generate would run, without running them. */
export async function handleRenderPrompt(
  request: RenderPromptRequest,
  deps: LlmHandlerDeps,
): Promise<RenderPromptResponse> {
  if (!request.conversation) throw new InvalidArgumentError('RenderPromptRequest needs a conversation');
  const prompt = buildPrompt(
    {
      prompt: { $case: 'conversation', value: request.conversation },
      images: [],
      params: undefined,
      returnPrompt: false,
    },
    request.imageTiles,
    promptContext(deps.model),
  );
  return { prompt: { text: prompt.text, inputIds: prompt.ids } };
}

/** LlmService/GetLlmInfo: what is loaded and how it runs. */
export async function handleGetLlmInfo(
  _request: GetLlmInfoRequest,
  deps: LlmHandlerDeps,
): Promise<GetLlmInfoResponse> {
  const { model } = deps;
  return {
    modelName: model.name,
    template: model.template.name,
    hiddenSize: model.hiddenSize,
    maxContextTokens: model.maxContextTokens,
    maxActiveSequences: deps.maxActiveSequences,
    executionProvider: model.engine.provider,
  };
}
