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
import { toFloatTypeInSteps, type FloatArray, type FloatType } from '@internvl/float-formats';
import type { FinishReason } from '@internvl/generation';
import type { CallContext } from '@internvl/service-kit';
import type { LlmModel } from './llm-model';
import { buildPrompt, type PromptContext } from './request/build-prompt';
import { choiceCount, choiceSettings, mergeChoices } from './request/choices';
import { generationSettings, type GenerationLimits } from './request/generation-settings';
import { readGenerateRequest, type ReceivedImage } from './request/read-generate-request';
import type { BatchScheduler } from './scheduler/batch-scheduler';
import type { GenerationEvent } from './scheduler/generation-events';
import { toWireLogprobs } from './wire-logprobs';

export interface LlmHandlerDeps {
  model: LlmModel;
  scheduler: BatchScheduler;
  limits: Omit<GenerationLimits, 'maxContextTokens' | 'vocabSize' | 'templateStopIds'>;
  maxActiveSequences: number;
  /** `--allow-special-tokens`: special-token text in messages becomes control tokens. */
  allowSpecialTokens: boolean;
}

const WIRE_REASON: Record<FinishReason, WireFinishReason> = {
  stop: WireFinishReason.FINISH_REASON_STOP,
  length: WireFinishReason.FINISH_REASON_LENGTH,
  cancelled: WireFinishReason.FINISH_REASON_CANCELLED,
};

function promptContext({ model, allowSpecialTokens }: LlmHandlerDeps): PromptContext {
  return {
    template: model.template,
    tokenizer: model.tokenizer,
    tokensPerTile: model.tokensPerTile,
    imageContextId: model.manifest.tokens.imageContext,
    allowSpecialTokens,
  };
}

/** All images' rows, in order, as one array in the decoder's element type. */
async function imageRows(images: ReceivedImage[], dtype: FloatType): Promise<FloatArray | undefined> {
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
    promptContext(deps),
  );
  const settings = generationSettings(header.params, prompt.ids.length, prompt.imageTokens, {
    ...deps.limits,
    maxContextTokens: model.maxContextTokens,
    vocabSize: model.tokenizer.vocabSize,
    templateStopIds: model.manifest.tokens.stop,
  });
  const n = choiceCount(header.params?.n ?? 0);
  // Compiled before the sequence is queued (once per distinct constraint): a bad one is refused here.
  const constraint = settings.constraint && (await (await model.constraints()).compile(settings.constraint));
  const embeds = await imageRows(images, model.manifest.decoderDtype);
  // One sequence per choice; all but the first find the prompt in the prefix cache. Each gets its
  // own copy of the image rows: the first prefill hands the array over to the inference thread.
  const streams: AsyncIterable<GenerationEvent>[] = [];
  try {
    for (let index = 0; index < n; index++) {
      streams.push(
        scheduler.submit(
          {
            inputIds: Int32Array.from(prompt.ids),
            imageEmbeds: index === n - 1 ? embeds : embeds?.slice(),
            imageRows: images.map((i) => i.numTiles * model.tokensPerTile),
            imageTokens: prompt.imageTokens,
            ...choiceSettings(settings, index),
            constraint,
            decode: (ids) => model.tokenizer.decode(ids),
            specialIds: model.tokenizer.specialIds,
          },
          ctx.signal,
        ),
      );
    }
  } catch (err) {
    // A full queue refuses the whole request: the choices already queued leave with it.
    await Promise.allSettled(streams.map((s) => s[Symbol.asyncIterator]().return?.()));
    throw err;
  }
  if (header.returnPrompt) {
    yield { kind: { $case: 'prompt', value: { text: prompt.text, inputIds: prompt.ids } } };
  }
  for await (const { index, event } of mergeChoices(streams)) {
    if (event.type === 'delta') {
      yield {
        kind: {
          $case: 'delta',
          value: {
            text: event.text,
            tokenIds: event.tokenIds,
            logprobs: toWireLogprobs(event.logprobs, model.tokenizer),
            index,
          },
        },
      };
    } else {
      yield {
        kind: {
          $case: 'finish',
          value: { reason: WIRE_REASON[event.reason], usage: event.usage, timings: event.timings, index },
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
    promptContext(deps),
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
