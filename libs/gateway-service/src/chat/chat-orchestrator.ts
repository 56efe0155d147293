import { context, trace, type Context } from '@opentelemetry/api';
import type { ChatInput, GenerateHeader, StreamChatResponse } from '@internvl/contracts';
import { CancelledError, LimitExceededError, throwIfAborted } from '@internvl/errors';
import { embedImage } from '../downstream/embed-image';
import { forwardedMetadata } from '../downstream/forwarded-metadata';
import { generateStream } from '../downstream/generate-stream';
import { GATEWAY_ATTR, gatewayTracer, recordFailure } from '../downstream/hop-span';
import { preprocessImage, type ChatImage } from '../downstream/preprocess-image';
import { ServedModel } from '../downstream/served-model';
import type { HopOptions, Tiers } from '../downstream/tier';
import { gatewayOption } from '../gateway-config';
import type { ChatEngine, ChatRunOptions } from './chat-engine';
import type { ChatLimits } from './chat-limits';
import { checkImagesEarly } from './early-limits';
import { linkedAbort } from './linked-abort';
import { toConversation } from './to-conversation';
import { validateChatInput } from './validate-chat-input';

export interface ChatOrchestratorOptions {
  tiers: Tiers;
  limits: ChatLimits;
  /** Deadline of a chat whose caller sets none; 0 = none. */
  defaultTimeoutMs: number;
  /** What the tiers serve (image size, context); default: asked of the tiers on first use. */
  servedModel?: ServedModel;
}

/**
 * The gateway's ChatEngine: validates a chat, preprocesses its images in parallel, embeds them
 * in parallel (cache key first), then streams the llm's answer. Everything runs in one
 * 'gateway.chat' span with a span per hop under it; the caller's signal and deadline reach every
 * downstream call, and a failing image cancels the calls of the others.
 */
export class ChatOrchestrator implements ChatEngine {
  private readonly servedModel: ServedModel;

  constructor(private readonly options: ChatOrchestratorOptions) {
    this.servedModel = options.servedModel ?? new ServedModel(options.tiers);
  }

  async *stream(input: ChatInput, run: ChatRunOptions): AsyncGenerator<StreamChatResponse> {
    throwIfAborted(run.signal);
    const { limits, defaultTimeoutMs } = this.options;
    validateChatInput(input, limits);
    const { conversation, images } = toConversation(input, limits.defaultMaxTiles);

    const span = gatewayTracer.startSpan('gateway.chat', {
      attributes: { [GATEWAY_ATTR.images]: images.length },
    });
    const parent = trace.setSpan(context.active(), span);
    const { controller, unlink } = linkedAbort(run.signal);
    const hop: HopOptions = {
      signal: controller.signal,
      deadline: run.deadline ?? (defaultTimeoutMs > 0 ? new Date(Date.now() + defaultTimeoutMs) : undefined),
      metadata: forwardedMetadata(run.metadata),
    };
    try {
      const embeddings = await this.embedAll(images, hop, parent);
      const header: GenerateHeader = {
        prompt: { $case: 'conversation', value: conversation },
        images: embeddings.map((e) => ({ embeddings: e.result.embeddings, numTiles: e.result.numTiles })),
        params: input.params,
        returnPrompt: run.returnPrompt ?? false,
      };
      const bytes = embeddings.map((e) => e.embeddings);
      for await (const event of generateStream(this.options.tiers.llm, header, bytes, hop, parent)) {
        const kind = event.kind;
        if (kind === undefined || (kind.$case === 'prompt' && !run.returnPrompt)) continue;
        yield { kind };
      }
    } catch (err) {
      recordFailure(span, err);
      throw err;
    } finally {
      // Stops whatever still runs for this chat (sibling images after a failure, or the llm when
      // the consumer stopped reading early).
      controller.abort(new CancelledError('the chat ended'));
      unlink();
      span.end();
    }
  }

  /** Preprocess every image, check the tile budget, embed every image; results in image order. */
  private async embedAll(images: ChatImage[], hop: HopOptions, parent: Context) {
    const { tiers, limits } = this.options;
    if (images.length > 0) {
      // Refuse from the request and the image headers what would be refused after preprocessing.
      const headerTiles = await checkImagesEarly(images, await this.servedModel.info(hop));
      assertTileBudget(
        headerTiles.filter((n): n is number => n !== undefined),
        limits.maxTotalTiles,
      );
    }
    const preprocessed = await Promise.all(
      images.map((image) => preprocessImage(tiers.preprocess, image, hop, parent)),
    );
    assertTileBudget(
      preprocessed.map((p) => p.result.numTiles),
      limits.maxTotalTiles,
    );
    return Promise.all(
      preprocessed.map((p, i) => embedImage(tiers.vision, p, images[i]!.label, hop, parent)),
    );
  }
}

function assertTileBudget(tiles: number[], maxTotalTiles: number): void {
  const total = tiles.reduce((a, b) => a + b, 0);
  if (total <= maxTotalTiles) return;
  throw new LimitExceededError(
    `the chat's ${tiles.length} images make ${total} tiles (${tiles.join(' + ')}), over the limit of ${maxTotalTiles} (max_total_tiles); ` +
      `lower the tiles per image, send fewer images, or raise ${gatewayOption('max_total_tiles')}`,
  );
}
