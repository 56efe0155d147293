import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { endianness } from 'node:os';
import { CheckpointFileError, SafetensorsFormatError, UnsupportedDtypeError } from './checkpoint-errors';
import { elementCount } from './dtype';
import { bf16ToF32, f16ToF32 } from '@internvl/float-formats';
import { MAX_HEADER_BYTES, parseSafetensorsHeader, type TensorEntry } from './safetensors-header';

// Node's fs.read caps one call at 2 GiB - 1; large tensors are read in slices.
const READ_SLICE = 1 << 30;

/**
 * One .safetensors file opened lazily: the header is parsed on open, tensor bytes are read
 * from the file descriptor on demand (one tensor's byte range at a time), so an 8 GB shard
 * costs only its header in memory.
 */
export class SafetensorsFile {
  private fd: number | undefined;

  private constructor(
    /** Path the file was opened from. */
    readonly path: string,
    fd: number,
    /** Absolute file offset of the data section (8 + header length). */
    private readonly dataStart: number,
    /** Tensors in data order. */
    readonly entries: ReadonlyMap<string, TensorEntry>,
    /** The header's `__metadata__`, if any. */
    readonly metadata: Readonly<Record<string, string>> | undefined,
  ) {
    this.fd = fd;
  }

  /** Opens a file and parses its header; throws a typed error for a missing or corrupt file. */
  static open(path: string): SafetensorsFile {
    if (endianness() !== 'LE')
      throw new CheckpointFileError('safetensors reading needs a little-endian host');
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (err) {
      throw new CheckpointFileError(`cannot open ${path}: ${(err as Error).message}`, { cause: err });
    }
    try {
      const stat = fstatSync(fd);
      if (!stat.isFile()) throw new CheckpointFileError(`${path} is not a file`);
      const size = stat.size;
      if (size < 8) throw new SafetensorsFormatError(`${path}: corrupt safetensors file: only ${size} bytes`);
      const prefix = Buffer.alloc(8);
      readFully(fd, prefix, 0, path);
      const headerLen = Number(prefix.readBigUInt64LE(0));
      if (headerLen > MAX_HEADER_BYTES || headerLen > size - 8) {
        throw new SafetensorsFormatError(
          `${path}: corrupt safetensors header: it claims ${headerLen} bytes but the file has ${size}` +
            (headerLen > MAX_HEADER_BYTES ? ` (limit ${MAX_HEADER_BYTES})` : '') +
            '; the file is truncated or not safetensors',
        );
      }
      const json = new Uint8Array(headerLen);
      readFully(fd, json, 8, path);
      const header = parseSafetensorsHeader(json, size - 8 - headerLen, path);
      return new SafetensorsFile(path, fd, 8 + headerLen, header.entries, header.metadata);
    } catch (err) {
      closeSync(fd);
      throw err;
    }
  }

  /** Tensor names in data order. */
  names(): string[] {
    return [...this.entries.keys()];
  }

  /** Reads a tensor's raw little-endian bytes into a fresh, 8-byte-aligned buffer. */
  readBytes(name: string): Uint8Array {
    const e = this.entry(name);
    const out = new Uint8Array(e.end - e.begin);
    readFully(this.openFd(), out, this.dataStart + e.begin, this.path);
    return out;
  }

  /**
   * Reads a tensor as float32: F32 as is, BF16/F16 widened exactly, F64 rounded, integer and
   * bool tensors converted when every value is exactly representable (else an error).
   */
  readFloat32(name: string): Float32Array {
    const e = this.entry(name);
    const bytes = this.readBytes(name);
    const n = elementCount(e.shape);
    switch (e.dtype) {
      case 'F32':
        return new Float32Array(bytes.buffer, 0, n);
      case 'BF16':
        return bf16ToF32(new Uint16Array(bytes.buffer, 0, n));
      case 'F16':
        return f16ToF32(new Uint16Array(bytes.buffer, 0, n));
      case 'F64':
        return Float32Array.from(new Float64Array(bytes.buffer, 0, n));
      case 'BOOL':
      case 'U8':
        return Float32Array.from(bytes);
      case 'I8':
        return Float32Array.from(new Int8Array(bytes.buffer, 0, n));
      case 'I16':
        return Float32Array.from(new Int16Array(bytes.buffer, 0, n));
      case 'U16':
        return Float32Array.from(new Uint16Array(bytes.buffer, 0, n));
      case 'I32':
        return exactIntegers(new Int32Array(bytes.buffer, 0, n), e);
      case 'U32':
        return exactIntegers(new Uint32Array(bytes.buffer, 0, n), e);
      case 'I64':
        return exactIntegers(new BigInt64Array(bytes.buffer, 0, n), e);
      case 'U64':
        return exactIntegers(new BigUint64Array(bytes.buffer, 0, n), e);
      default:
        throw new UnsupportedDtypeError(
          `tensor ${name} in ${this.path} is stored as ${e.dtype}, which is not converted to float32; ` +
            're-save the checkpoint in BF16, F16 or F32',
        );
    }
  }

  /** Closes the file descriptor; later reads fail. Idempotent. */
  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  private entry(name: string): TensorEntry {
    const e = this.entries.get(name);
    if (!e) throw new CheckpointFileError(`${this.path} has no tensor ${name}`);
    return e;
  }

  private openFd(): number {
    if (this.fd === undefined) throw new CheckpointFileError(`${this.path} was closed`);
    return this.fd;
  }
}

function exactIntegers(values: ArrayLike<number | bigint>, e: TensorEntry): Float32Array {
  const out = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = Number(values[i]);
    out[i] = v;
    if (out[i] !== v || (typeof values[i] === 'bigint' && BigInt(v) !== values[i])) {
      throw new UnsupportedDtypeError(
        `tensor ${e.name} (${e.dtype}) holds ${String(values[i])}, which float32 cannot represent exactly; read it with readBytes`,
      );
    }
  }
  return out;
}

function readFully(fd: number, into: Uint8Array, position: number, path: string): void {
  let done = 0;
  while (done < into.length) {
    const len = Math.min(READ_SLICE, into.length - done);
    const n = readSync(fd, into, done, len, position + done);
    if (n === 0)
      throw new SafetensorsFormatError(`${path}: unexpected end of file at byte ${position + done}`);
    done += n;
  }
}
