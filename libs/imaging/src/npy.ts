import { InvalidArgumentError } from '@internvl/errors';
import type { FloatArray, FloatType } from '@internvl/float-formats';

/**
 * NumPy `.npy` format, version 1.0: magic, a little-endian u16 header length, an ASCII dict
 * header padded with spaces to a 64-byte boundary and ending in `\n`, then the raw C-order data.
 */

const MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]);
const ALIGN = 64;

/** Element types this module reads and writes (little-endian float32 / float16). */
export type NpyDtype = '<f4' | '<f2';

/** A decoded array: float32 values, or binary16 bit patterns for `'<f2'`. */
export interface NpyArray {
  shape: number[];
  dtype: NpyDtype;
  data: FloatArray;
}

const ITEM_BYTES: Record<NpyDtype, number> = { '<f4': 4, '<f2': 2 };

function normalizeDtype(dtype: NpyDtype | FloatType): NpyDtype {
  if (dtype === 'float32') return '<f4';
  if (dtype === 'float16') return '<f2';
  return dtype;
}

function shapeText(shape: readonly number[]): string {
  // Python's tuple repr: a 1-tuple keeps its trailing comma.
  return shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
}

/**
 * Encodes a C-order little-endian array as an `.npy` v1.0 file. `data` holds the values' bytes:
 * a Float32Array for `'<f4'`/`'float32'`, a Uint16Array of binary16 bit patterns for `'<f2'`/`'float16'`,
 * or any byte view of either.
 */
export function encodeNpy(
  data: ArrayBufferView,
  shape: readonly number[],
  dtype: NpyDtype | FloatType,
): Buffer {
  const descr = normalizeDtype(dtype);
  const count = shape.reduce((a, b) => a * b, 1);
  const expectedBytes = count * ITEM_BYTES[descr];
  if (data.byteLength !== expectedBytes) {
    throw new InvalidArgumentError(
      `npy: shape ${shapeText(shape)} needs ${count} values (${expectedBytes} bytes of ${descr}), got ${data.byteLength} bytes`,
    );
  }
  const dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText(shape)}, }`;
  const unpadded = MAGIC.length + 2 + 2 + dict.length + 1;
  const header = dict + ' '.repeat((ALIGN - (unpadded % ALIGN)) % ALIGN) + '\n';
  const prefix = Buffer.alloc(MAGIC.length + 4);
  MAGIC.copy(prefix, 0);
  prefix[6] = 1;
  prefix[7] = 0;
  prefix.writeUInt16LE(header.length, 8);
  // Typed arrays are host-endian; every supported Node platform is little-endian.
  const body = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.concat([prefix, Buffer.from(header, 'latin1'), body]);
}

function parseHeader(bytes: Uint8Array): {
  descr: string;
  fortran: boolean;
  shape: number[];
  dataOffset: number;
} {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < 10 || !buf.subarray(0, 6).equals(MAGIC))
    throw new InvalidArgumentError('npy: not a .npy file');
  const major = buf[6];
  let headerLen: number;
  let start: number;
  if (major === 1) {
    headerLen = buf.readUInt16LE(8);
    start = 10;
  } else if (major === 2 || major === 3) {
    headerLen = buf.readUInt32LE(8);
    start = 12;
  } else {
    throw new InvalidArgumentError(`npy: unsupported format version ${major}`);
  }
  const header = buf.subarray(start, start + headerLen).toString('latin1');
  const descr = /'descr':\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shape = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shape === undefined) {
    throw new InvalidArgumentError(`npy: malformed header ${JSON.stringify(header)}`);
  }
  const dims = shape
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map(Number);
  return { descr, fortran: fortran === 'True', shape: dims, dataOffset: start + headerLen };
}

/** Decodes an `.npy` file holding little-endian float32 (`<f4`) or float16 (`<f2`) in C order. */
export function decodeNpy(bytes: Uint8Array): NpyArray {
  const { descr, fortran, shape, dataOffset } = parseHeader(bytes);
  if (descr !== '<f4' && descr !== '<f2') {
    throw new InvalidArgumentError(`npy: expected dtype '<f4' or '<f2', got '${descr}'`);
  }
  if (fortran) throw new InvalidArgumentError('npy: Fortran-order arrays are not supported');
  const count = shape.reduce((a, b) => a * b, 1);
  const byteCount = count * ITEM_BYTES[descr];
  if (bytes.length - dataOffset < byteCount) {
    throw new InvalidArgumentError(`npy: truncated data, expected ${byteCount} bytes after the header`);
  }
  // Copy: the payload need not be aligned for a typed-array view of the caller's buffer.
  const data = descr === '<f4' ? new Float32Array(count) : new Uint16Array(count);
  new Uint8Array(data.buffer).set(bytes.subarray(dataOffset, dataOffset + byteCount));
  return { shape, dtype: descr, data };
}
