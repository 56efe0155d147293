import { Metadata, type CallOptions, type ClientDuplexStream } from '@grpc/grpc-js';
import {
  callOptions,
  ChunkAssembler,
  duplexCall,
  readChunkedStream,
  writeChunkedStream,
  type ChunkedMessage,
  type ChunkedStreamShape,
} from '@internvl/service-kit';
import type { TierCallOptions } from './call-options';

/**
 * Makes a bidirectional call (`open` gets the metadata and call options), streams the request
 * header and payloads up in chunks, and collects the answer's header and the payload bytes it
 * announces. Q*: the request stream's header type and cases; R*: the response's.
 */
export async function chunkedCall<
  QH,
  QHC extends string,
  QCC extends string,
  RH,
  RHC extends string,
  RCC extends string,
>(
  open: (
    metadata: Metadata,
    options: CallOptions,
  ) => ClientDuplexStream<ChunkedMessage<QHC, QH, QCC, Buffer>, ChunkedMessage<RHC, RH, RCC>>,
  exchange: {
    request: { shape: ChunkedStreamShape<QHC, QCC>; header: QH; payloads: Iterable<Uint8Array> };
    response: { shape: ChunkedStreamShape<RHC, RCC>; byteLength: (result: RH) => number; what: string };
  },
  opts: TierCallOptions,
): Promise<{ result: RH; bytes: Buffer }> {
  const call = open(opts.metadata ?? new Metadata(), callOptions(opts.deadline));
  const { request, response } = exchange;
  const requests = writeChunkedStream(request.shape, request.header, request.payloads);
  const { header, payload } = await readChunkedStream(
    duplexCall(call, requests, opts.signal),
    response.shape,
    (result) => new ChunkAssembler(response.byteLength(result), response.what),
  );
  return { result: header, bytes: payload! };
}
