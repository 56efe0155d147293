import { closeSync, copyFileSync, openSync, readSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { storedByteChunks, storedByteLength, type TensorData } from './tensor-data';

/** Offset and length of one tensor inside an external data file. */
export interface DataSpan {
  offset: number;
  length: number;
}

/**
 * An ONNX external-data file written append-only, one tensor at a time, so multi-GB weights are
 * never gathered into one buffer. Offsets are aligned (4096 by default, like `onnx`'s saver) so
 * ORT can memory-map them; the gaps are file holes, not written bytes.
 */
export class ExternalDataFile {
  private fd: number | undefined;
  private end = 0;

  constructor(
    private filePath: string,
    private readonly alignment = 4096,
  ) {
    this.fd = openSync(filePath, 'w');
  }

  /** Current location of the file. */
  get path(): string {
    return this.filePath;
  }

  /** Bytes the file spans (last tensor's end). */
  get size(): number {
    return this.end;
  }

  /** Appends a tensor's stored bytes (float16 conversion happens chunk by chunk) and returns where they went. */
  append(t: TensorData): DataSpan {
    const fd = this.open();
    const offset = Math.ceil(this.end / this.alignment) * this.alignment;
    let pos = offset;
    for (const chunk of storedByteChunks(t)) {
      let done = 0;
      while (done < chunk.length) done += writeSync(fd, chunk, done, chunk.length - done, pos + done);
      pos += chunk.length;
    }
    const length = storedByteLength(t);
    this.end = offset + length;
    return { offset, length };
  }

  /** Reads a span back (used only to inline a streamed tensor into a small in-memory model). */
  read(span: DataSpan): Uint8Array {
    const fd = this.open();
    const out = new Uint8Array(span.length);
    let done = 0;
    while (done < span.length) {
      const n = readSync(fd, out, done, span.length - done, span.offset + done);
      if (n === 0) break;
      done += n;
    }
    return out;
  }

  /** Closes the file and moves it to `dest` (rename, or copy across devices). */
  moveTo(dest: string): void {
    this.close();
    if (dest === this.filePath) return;
    try {
      renameSync(this.filePath, dest);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
      copyFileSync(this.filePath, dest);
      unlinkSync(this.filePath);
    }
    this.filePath = dest;
  }

  /** Closes the descriptor; a later append reopens the file. */
  close(): void {
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
  }

  private open(): number {
    this.fd ??= openSync(this.filePath, 'r+');
    return this.fd;
  }
}
