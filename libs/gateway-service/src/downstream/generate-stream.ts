import { context, trace, type Context } from '@opentelemetry/api';
import type {
  GenerateHeader,
  GenerateRequest,
  GenerateResponse,
  LlmServiceClient,
} from '@internvl/contracts';
import { callOptions, chunkBytes, duplexCall } from '@internvl/service-kit';
import { hopError } from './hop-error';
import { GATEWAY_ATTR, gatewayTracer, recordFailure } from './hop-span';
import type { HopOptions, Tier } from './tier';

function* generateRequests(
  header: GenerateHeader,
  embeddings: readonly Uint8Array[],
): Generator<GenerateRequest> {
  yield { kind: { $case: 'header', value: header } };
  for (const image of embeddings) {
    for (const chunk of chunkBytes(image)) yield { kind: { $case: 'embeddingChunk', value: chunk } };
  }
}

/**
 * LlmService/Generate in a 'gateway.llm' span: writes the header, then each image's embedding
 * bytes (in header order, ≤ 1 MiB chunks), and yields the llm's events. Aborting `hop.signal`
 * or leaving the loop early cancels the call, which stops the sequence in the llm.
 */
export async function* generateStream(
  tier: Tier<LlmServiceClient>,
  header: GenerateHeader,
  embeddings: readonly Uint8Array[],
  hop: HopOptions,
  parent: Context,
): AsyncGenerator<GenerateResponse> {
  const span = gatewayTracer.startSpan(
    'gateway.llm',
    { attributes: { [GATEWAY_ATTR.images]: embeddings.length } },
    parent,
  );
  try {
    const call = context.with(trace.setSpan(parent, span), () =>
      tier.client.generate(hop.metadata, callOptions(hop.deadline)),
    );
    for await (const response of duplexCall(call, generateRequests(header, embeddings), hop.signal)) {
      if (response.kind?.$case === 'finish') {
        span.setAttribute(GATEWAY_ATTR.completionTokens, response.kind.value.usage?.completionTokens ?? 0);
        span.setAttribute(GATEWAY_ATTR.cachedTokens, response.kind.value.usage?.cachedTokens ?? 0);
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
