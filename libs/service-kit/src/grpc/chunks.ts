import { InvalidArgumentError, LimitExceededError } from '@internvl/errors';

/** Chunk size for streamed payloads: under grpc-js's 4 MiB default and ~2x faster than one big message. */
export const CHUNK_BYTES = 1024 * 1024;

/** Splits bytes into views of at most `size` bytes (no copies). */
export function* chunkBytes(bytes: Uint8Array, size = CHUNK_BYTES): Generator<Buffer> {
  for (let offset = 0; offset < bytes.byteLength; offset += size) {
    yield Buffer.from(bytes.buffer, bytes.byteOffset + offset, Math.min(size, bytes.byteLength - offset));
  }
}

/**
 * Collects a payload announced with its total length, into one pre-allocated buffer.
 * Rejects overflow at once and underflow at `finish()`, naming `what` in the message.
 */
export class ChunkAssembler {
  private readonly buffer: Buffer;
  private filled = 0;

  constructor(
    readonly expectedBytes: number,
    private readonly what: string,
    maxBytes = Number.MAX_SAFE_INTEGER,
    limitHint = '',
  ) {
    if (!Number.isSafeInteger(expectedBytes) || expectedBytes < 0) {
      throw new InvalidArgumentError(
        `${what}: declared byte length ${expectedBytes} is not a non-negative integer`,
      );
    }
    if (expectedBytes > maxBytes) {
      throw new LimitExceededError(
        `${what} is ${expectedBytes} bytes, over the limit of ${maxBytes} bytes${limitHint ? `; raise it with ${limitHint}` : ''}`,
      );
    }
    // allocUnsafeSlow: never a slice of the shared pool, so the buffer can be transferred to a worker.
    this.buffer = Buffer.allocUnsafeSlow(expectedBytes);
  }

  push(chunk: Uint8Array): void {
    if (this.filled + chunk.byteLength > this.expectedBytes) {
      throw new InvalidArgumentError(
        `${this.what}: received more than the declared ${this.expectedBytes} bytes`,
      );
    }
    this.buffer.set(chunk, this.filled);
    this.filled += chunk.byteLength;
  }

  get receivedBytes(): number {
    return this.filled;
  }

  finish(): Buffer {
    if (this.filled !== this.expectedBytes) {
      throw new InvalidArgumentError(
        `${this.what}: stream ended after ${this.filled} of the declared ${this.expectedBytes} bytes`,
      );
    }
    return this.buffer;
  }
}
