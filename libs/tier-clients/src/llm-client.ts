import { Metadata } from '@grpc/grpc-js';
import {
  GENERATE_REQUEST_STREAM,
  type GenerateHeader,
  type GenerateResponse,
  type LlmServiceClient,
} from '@internvl/contracts';
import { callOptions, duplexCall, writeChunkedStream } from '@internvl/service-kit';
import type { TierCallOptions } from './call-options';

/**
 * Calls LlmService/Generate: writes the header, then each image's embedding bytes in header
 * order, and yields the llm's events as they come. Aborting `opts.signal` or leaving the loop
 * early cancels the call, which stops the sequence in the llm.
 */
export function generateRemote(
  client: LlmServiceClient,
  header: GenerateHeader,
  embeddings: readonly Uint8Array[],
  opts: TierCallOptions = {},
): AsyncGenerator<GenerateResponse> {
  const call = client.generate(opts.metadata ?? new Metadata(), callOptions(opts.deadline));
  return duplexCall(call, writeChunkedStream(GENERATE_REQUEST_STREAM, header, embeddings), opts.signal);
}
