/** Dtype names as safetensors writes them. */
export type SafetensorsDtype =
  | 'BOOL'
  | 'U8'
  | 'I8'
  | 'F8_E5M2'
  | 'F8_E4M3'
  | 'I16'
  | 'U16'
  | 'F16'
  | 'BF16'
  | 'I32'
  | 'U32'
  | 'F32'
  | 'F64'
  | 'I64'
  | 'U64';

/** Dtypes {@link writeSafetensors} stores (float data, as real checkpoints hold). */
export type WritableDtype = 'F32' | 'F16' | 'BF16';

/**
 * Bytes per element, in the order of the reference implementation's `Dtype` enum; that order
 * also decides the order tensors are laid out in a file it writes (larger rank first).
 */
const DTYPES: readonly [SafetensorsDtype, number][] = [
  ['BOOL', 1],
  ['U8', 1],
  ['I8', 1],
  ['F8_E5M2', 1],
  ['F8_E4M3', 1],
  ['I16', 2],
  ['U16', 2],
  ['F16', 2],
  ['BF16', 2],
  ['I32', 4],
  ['U32', 4],
  ['F32', 4],
  ['F64', 8],
  ['I64', 8],
  ['U64', 8],
];

const BYTES = new Map(DTYPES);
const RANK = new Map(DTYPES.map(([d], i) => [d, i]));

/** True for a dtype name safetensors defines. */
export function isSafetensorsDtype(v: unknown): v is SafetensorsDtype {
  return typeof v === 'string' && BYTES.has(v as SafetensorsDtype);
}

/** Bytes per element of a dtype. */
export function dtypeBytes(dtype: SafetensorsDtype): number {
  return BYTES.get(dtype) as number;
}

/** Position of a dtype in the reference implementation's enum (its write order is by rank, descending). */
export function dtypeRank(dtype: SafetensorsDtype): number {
  return RANK.get(dtype) as number;
}

/** Number of elements of a shape (1 for a scalar []). */
export function elementCount(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}
