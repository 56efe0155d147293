import { closeSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { InvalidArgumentError } from '@internvl/errors';
import { dtypeBytes, dtypeRank, elementCount, type WritableDtype } from './dtype';
import { f32ToBf16, f32ToF16 } from '@internvl/float-formats';
import { serializeSafetensorsHeader, type TensorEntry } from './safetensors-header';

/** A tensor held in memory, to be stored as `dtype`. */
export interface TensorToWrite {
  name: string;
  dtype: WritableDtype;
  shape: readonly number[];
  /** Row-major values; narrowed to F16/BF16 with round-to-nearest-even. */
  data: Float32Array;
}

/** A tensor produced piecewise, so multi-GB files are written in bounded memory. */
export interface StreamedTensor {
  name: string;
  dtype: WritableDtype;
  shape: readonly number[];
  /** Fills `out` with the row-major elements [start, start + out.length). */
  fill(out: Float32Array, start: number): void;
}

/** Options of {@link writeSafetensorsStreamed}. */
export interface StreamWriteOptions {
  /** Elements generated and written per step (default 1 Mi). */
  chunkElements?: number;
  /** Called after each tensor is written, in file order. */
  onTensor?: (name: string, index: number, total: number) => void;
}

function check(tensors: readonly { name: string; dtype: string; shape: readonly number[] }[]): void {
  const seen = new Set<string>();
  for (const t of tensors) {
    if (t.name === '__metadata__' || t.name.length === 0) {
      throw new InvalidArgumentError(`'${t.name}' cannot be a tensor name in safetensors`);
    }
    if (seen.has(t.name)) throw new InvalidArgumentError(`tensor ${t.name} is listed twice`);
    seen.add(t.name);
    if (t.dtype !== 'F32' && t.dtype !== 'F16' && t.dtype !== 'BF16') {
      throw new InvalidArgumentError(
        `tensor ${t.name}: dtype ${t.dtype} cannot be written; use F32, F16 or BF16`,
      );
    }
    if (!t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new InvalidArgumentError(`tensor ${t.name}: shape [${t.shape.join(',')}] must hold integers ≥ 0`);
    }
  }
}

/** Same layout order as the reference implementation: wider dtypes first, then by name. */
function fileOrder<T extends { name: string; dtype: WritableDtype }>(tensors: readonly T[]): T[] {
  return [...tensors].sort(
    (a, b) => dtypeRank(b.dtype) - dtypeRank(a.dtype) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
  );
}

function encode(values: Float32Array, dtype: WritableDtype): Uint8Array {
  if (dtype === 'F32') return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  const half = dtype === 'BF16' ? f32ToBf16(values) : f32ToF16(values);
  return new Uint8Array(half.buffer, half.byteOffset, half.byteLength);
}

function writeAll(fd: number, bytes: Uint8Array): void {
  let done = 0;
  while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done);
}

/**
 * Writes a safetensors file from tensors generated chunk by chunk. The file appears under
 * `path` only once complete (it is written to `path + '.partial'` and renamed).
 */
export function writeSafetensorsStreamed(
  path: string,
  tensors: readonly StreamedTensor[],
  metadata?: Record<string, string>,
  options: StreamWriteOptions = {},
): void {
  check(tensors);
  const ordered = fileOrder(tensors);
  const entries: TensorEntry[] = [];
  let offset = 0;
  for (const t of ordered) {
    const bytes = elementCount(t.shape) * dtypeBytes(t.dtype);
    entries.push({ name: t.name, dtype: t.dtype, shape: [...t.shape], begin: offset, end: offset + bytes });
    offset += bytes;
  }
  const header = serializeSafetensorsHeader(entries, metadata);
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(header.length));
  const chunk = Math.max(1, options.chunkElements ?? 1 << 20);
  const partial = `${path}.partial`;
  const fd = openSync(partial, 'w');
  try {
    writeAll(fd, prefix);
    writeAll(fd, header);
    const buf = new Float32Array(chunk);
    ordered.forEach((t, index) => {
      const n = elementCount(t.shape);
      for (let start = 0; start < n; start += chunk) {
        const out = buf.subarray(0, Math.min(chunk, n - start));
        t.fill(out, start);
        writeAll(fd, encode(out, t.dtype));
      }
      options.onTensor?.(t.name, index, ordered.length);
    });
  } catch (err) {
    closeSync(fd);
    rmSync(partial, { force: true });
    throw err;
  }
  closeSync(fd);
  renameSync(partial, path);
}

/**
 * Writes in-memory tensors to a safetensors file (header padded to 8 bytes, tensors laid out
 * like the reference implementation), narrowing to F16/BF16 with round-to-nearest-even.
 */
export function writeSafetensors(
  path: string,
  tensors: readonly TensorToWrite[],
  metadata?: Record<string, string>,
): void {
  for (const t of tensors) {
    if (t.data.length !== elementCount(t.shape)) {
      throw new InvalidArgumentError(
        `tensor ${t.name}: ${t.data.length} values for shape [${t.shape.join(',')}]`,
      );
    }
  }
  writeSafetensorsStreamed(
    path,
    tensors.map((t) => ({
      name: t.name,
      dtype: t.dtype,
      shape: t.shape,
      fill: (out, start) => out.set(t.data.subarray(start, start + out.length)),
    })),
    metadata,
  );
}
