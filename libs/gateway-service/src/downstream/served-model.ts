import { Metadata } from '@grpc/grpc-js';
import type { HopOptions, Tiers } from './tier';

/** What the gateway knows of the served model, from the vision and llm tiers' info calls. */
export interface ServedModelInfo {
  /** Tile edge the vision encoder takes (GetVisionInfo.image_size). */
  imageSize?: number;
  /** Image tokens per tile (GetVisionInfo.tokens_per_tile). */
  tokensPerTile?: number;
  /** The llm's context (GetLlmInfo.max_context_tokens). */
  maxContextTokens?: number;
}

/** Longest wait for an info call; a slow tier only skips the early checks, never fails a chat. */
const INFO_TIMEOUT_MS = 2_000;

function ask<T>(
  call: (metadata: Metadata, options: { deadline: Date }, cb: (err: Error | null, res: T) => void) => unknown,
  hop: HopOptions,
): Promise<T | undefined> {
  const limit = Date.now() + INFO_TIMEOUT_MS;
  const deadline = new Date(Math.min(limit, hop.deadline?.getTime() ?? limit));
  return new Promise((resolve) => {
    call(new Metadata(), { deadline }, (err, res) => resolve(err ? undefined : res));
  });
}

/**
 * Asks the vision and llm tiers once what they serve (GetVisionInfo, then GetLlmInfo) and
 * remembers the answers; an unanswered call is asked again by the next chat with images. The early checks of a chat
 * (image_size against the model, tiles against the context) use what is known.
 */
export class ServedModel {
  private vision: Promise<ServedModelInfo | undefined> | undefined;
  private llm: Promise<ServedModelInfo | undefined> | undefined;

  constructor(private readonly tiers: Pick<Tiers, 'vision' | 'llm'>) {}

  async info(hop: HopOptions): Promise<ServedModelInfo> {
    this.vision ??= ask<{ imageSize: number; tokensPerTile: number }>(
      (md, o, cb) => this.tiers.vision.client.getVisionInfo({}, md, o, cb),
      hop,
    ).then((r) =>
      r ? { imageSize: r.imageSize || undefined, tokensPerTile: r.tokensPerTile || undefined } : undefined,
    );
    const vision = await this.vision;
    if (!vision) {
      // The vision tier is down or slow: skip the early checks (the chat fails there anyway) and
      // leave the llm alone; the context check needs the tokens per tile first.
      this.vision = undefined;
      return {};
    }
    this.llm ??= ask<{ maxContextTokens: number }>(
      (md, o, cb) => this.tiers.llm.client.getLlmInfo({}, md, o, cb),
      hop,
    ).then((r) => (r ? { maxContextTokens: r.maxContextTokens || undefined } : undefined));
    const llm = await this.llm;
    if (!llm) this.llm = undefined;
    return { ...vision, ...llm };
  }
}
