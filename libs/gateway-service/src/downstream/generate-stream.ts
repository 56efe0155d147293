import { context, trace, type Context } from '@opentelemetry/api';
import type { GenerateHeader, GenerateResponse, LlmServiceClient } from '@internvl/contracts';
import { SPAN_ATTR, SPAN_NAME } from '@internvl/service-kit';
import { generateRemote, streamWithFailover } from '@internvl/tier-clients';
import { hopError } from './hop-error';
import { gatewayTracer, recordFailure } from './hop-span';
import type { HopOptions, Tier } from './tier';

/**
 * LlmService/Generate in a 'gateway.llm' span: writes the header, then each image's embedding
 * bytes (in header order, ≤ 1 MiB chunks), and yields the llm's events. The replica is the one
 * `route` ranks first (a conversation's key keeps its rounds where its prefix is cached;
 * undefined goes in turn); one that fails before the first token is replaced by the next.
 * Aborting `hop.signal` or leaving the loop early cancels the call, which stops the sequence in
 * the llm.
 */
export async function* generateStream(
  tier: Tier<LlmServiceClient>,
  header: GenerateHeader,
  embeddings: readonly Uint8Array[],
  route: string | undefined,
  hop: HopOptions,
  parent: Context,
): AsyncGenerator<GenerateResponse> {
  const span = gatewayTracer.startSpan(
    SPAN_NAME.gateway.llm,
    { attributes: { [SPAN_ATTR.gateway.images]: embeddings.length } },
    parent,
  );
  try {
    const hopContext = trace.setSpan(parent, span);
    const responses = streamWithFailover(
      tier.replicas.candidates(route),
      // Started in the span's context so the gRPC client span (and the llm's) hang under it.
      (replica) => context.with(hopContext, () => generateRemote(replica.client, header, embeddings, hop)),
      // Until a token (or the finish) arrives the client has seen nothing: a dead replica is retried.
      (response) => response.kind?.$case !== 'prompt',
    );
    for await (const response of responses) {
      if (response.kind?.$case === 'finish') {
        const usage = response.kind.value.usage;
        span.setAttribute(SPAN_ATTR.genAi.usageOutputTokens, usage?.completionTokens ?? 0);
        span.setAttribute(SPAN_ATTR.genAi.usageCacheReadInputTokens, usage?.cachedTokens ?? 0);
      }
      yield response;
    }
  } catch (err) {
    const mapped = hopError(err, tier);
    recordFailure(span, mapped);
    throw mapped;
  } finally {
    span.end();
  }
}
