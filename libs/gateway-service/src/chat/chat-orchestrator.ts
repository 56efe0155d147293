import { context, trace, type Context } from '@opentelemetry/api';
import type { ChatInput, GenerateHeader, StreamChatResponse } from '@internvl/contracts';
import { CancelledError, LimitExceededError, throwIfAborted } from '@internvl/errors';
import { SPAN_ATTR, SPAN_NAME } from '@internvl/service-kit';
import type { RemoteEmbedResult } from '@internvl/tier-clients';
import { embedImage, lookupImage } from '../downstream/embed-image';
import { forwardedMetadata } from '../downstream/forwarded-metadata';
import { generateStream } from '../downstream/generate-stream';
import { gatewayTracer, recordFailure } from '../downstream/hop-span';
import { preprocessImage, type ChatImage } from '../downstream/preprocess-image';
import { ServedModel } from '../downstream/served-model';
import type { HopOptions, Tiers } from '../downstream/tier';
import { gatewayOption } from '../gateway-config';
import type { ChatEngine, ChatRunOptions } from './chat-engine';
import type { ChatLimits } from './chat-limits';
import { checkImagesEarly } from './early-limits';
import { conversationRoute } from './conversation-route';
import { keyImage, type KeyedImage } from './image-plan';
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
  /**
   * Ask the vision tier's cache by the gateway-computed key before preprocessing (default true);
   * false preprocesses every image and lets vision find it by the preprocess content hash.
   */
  imageCacheLookup?: boolean;
  /**
   * Route by key (default true): an image's calls to the vision replica ranked first for its
   * key, a conversation's rounds to the llm replica ranked first for its prefix, so each finds
   * its cache; false sends every call to the replicas in turn.
   */
  replicaAffinity?: boolean;
}

/**
 * The gateway's ChatEngine: validates a chat, takes each image's embeddings from the vision
 * cache or preprocesses and embeds it (all images in parallel), then streams the llm's answer. Everything runs in one
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

    const span = gatewayTracer.startSpan(SPAN_NAME.gateway.chat, {
      attributes: { [SPAN_ATTR.gateway.images]: images.length },
    });
    const parent = trace.setSpan(context.active(), span);
    const { controller, unlink } = linkedAbort(run.signal);
    const hop: HopOptions = {
      signal: controller.signal,
      deadline: run.deadline ?? (defaultTimeoutMs > 0 ? new Date(Date.now() + defaultTimeoutMs) : undefined),
      metadata: forwardedMetadata(run.metadata),
    };
    try {
      const { embeddings, keyed } = await this.embedAll(images, hop, parent);
      const header: GenerateHeader = {
        prompt: { $case: 'conversation', value: conversation },
        images: embeddings.map((e) => ({ embeddings: e.result.embeddings, numTiles: e.result.numTiles })),
        params: input.params,
        returnPrompt: run.returnPrompt ?? false,
      };
      const bytes = embeddings.map((e) => e.embeddings);
      const route = this.affinity ? conversationRoute(conversation, keyed) : undefined;
      const events = generateStream(this.options.tiers.llm, header, bytes, route, hop, parent);
      for await (const event of events) {
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

  /**
   * Every image's embeddings, in image order. An image the vision tier already holds (asked by
   * the key the gateway computes) is taken from its cache with no preprocessing; the others are
   * preprocessed, checked against the tile budget together, then embedded.
   */
  private async embedAll(
    images: ChatImage[],
    hop: HopOptions,
    parent: Context,
  ): Promise<{ embeddings: RemoteEmbedResult[]; keyed: KeyedImage[] }> {
    if (images.length === 0) return { embeddings: [], keyed: [] };
    const { tiers, limits, imageCacheLookup } = this.options;
    const model = await this.servedModel.info(hop);
    // Refuse from the request and the image headers what would be refused after preprocessing.
    const headerTiles = checkImagesEarly(images, model);
    assertTileBudget(
      headerTiles.filter((n): n is number => n !== undefined),
      limits.maxTotalTiles,
    );
    const keyed = images.map((image) => keyImage(image, model.imageSize));
    const found = await Promise.all(
      keyed.map(async (image) => {
        const cached =
          imageCacheLookup !== false && image.cacheKey !== undefined
            ? await lookupImage(
                tiers.vision,
                image.cacheKey,
                this.route(image.cacheKey),
                image.label,
                hop,
                parent,
              )
            : undefined;
        return cached ?? (await preprocessImage(tiers.preprocess, image, hop, parent));
      }),
    );
    assertTileBudget(
      found.map((f) => f.result.numTiles),
      limits.maxTotalTiles,
    );
    const embeddings = await Promise.all(
      found.map((f, i) => {
        if (!('pixelValues' in f)) return f;
        const image = keyed[i]!;
        const cacheKey = image.cacheKey ?? f.result.contentHash;
        return embedImage(tiers.vision, f, cacheKey, this.route(cacheKey), image.label, hop, parent);
      }),
    );
    return { embeddings, keyed };
  }

  /** The replica ranking key of a call, or undefined (replicas in turn) with affinity off. */
  private route(key: string): string | undefined {
    return this.affinity && key ? key : undefined;
  }

  private get affinity(): boolean {
    return this.options.replicaAffinity !== false;
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
