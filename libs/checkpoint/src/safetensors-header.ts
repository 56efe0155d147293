import { SafetensorsFormatError } from './checkpoint-errors';
import { dtypeBytes, elementCount, isSafetensorsDtype, type SafetensorsDtype } from './dtype';

/** One tensor of a safetensors header; offsets are relative to the start of the data section. */
export interface TensorEntry {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  begin: number;
  end: number;
}

/** A parsed header: tensors by name (in data order) and the free-form `__metadata__`. */
export interface SafetensorsHeader {
  entries: Map<string, TensorEntry>;
  metadata: Record<string, string> | undefined;
}

/** The reference implementation refuses headers above 100 MB; so does this reader. */
export const MAX_HEADER_BYTES = 100_000_000;

const METADATA_KEY = '__metadata__';

function isNonNegInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

/**
 * Parses and checks a header's JSON: known dtypes, integer shapes, byte ranges that match the
 * shape and tile the data section exactly (no gaps, overlaps or trailing bytes), like the
 * reference implementation's validation. `where` names the file in errors.
 */
export function parseSafetensorsHeader(
  json: Uint8Array,
  dataBytes: number,
  where: string,
): SafetensorsHeader {
  const fail = (why: string): never => {
    throw new SafetensorsFormatError(`${where}: corrupt safetensors header: ${why}`);
  };
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(json));
  } catch (err) {
    fail(
      `the header is not UTF-8 JSON (${(err as Error).message}); the file may be truncated or not safetensors`,
    );
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    fail('the header is not a JSON object');
  const header = parsed as Record<string, unknown>;
  let metadata: Record<string, string> | undefined;
  const entries: TensorEntry[] = [];
  for (const [name, value] of Object.entries(header)) {
    if (name === METADATA_KEY) {
      if (typeof value !== 'object' || value === null || Array.isArray(value))
        fail(`${METADATA_KEY} is not an object`);
      for (const [k, v] of Object.entries(value as object)) {
        if (typeof v !== 'string') fail(`${METADATA_KEY}.${k} is not a string`);
      }
      metadata = value as Record<string, string>;
      continue;
    }
    const info = value as { dtype?: unknown; shape?: unknown; data_offsets?: unknown } | null;
    if (typeof info !== 'object' || info === null) fail(`tensor ${name} is not an object`);
    const {
      dtype,
      shape,
      data_offsets: offsets,
    } = info as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (!isSafetensorsDtype(dtype)) fail(`tensor ${name} has unknown dtype ${JSON.stringify(dtype)}`);
    if (!Array.isArray(shape) || !shape.every(isNonNegInt))
      fail(`tensor ${name} has an invalid shape ${JSON.stringify(shape)}`);
    if (
      !Array.isArray(offsets) ||
      offsets.length !== 2 ||
      !offsets.every(isNonNegInt) ||
      offsets[1] < offsets[0]
    ) {
      fail(`tensor ${name} has invalid data_offsets ${JSON.stringify(offsets)}`);
    }
    const [begin, end] = offsets as [number, number];
    const s = shape as number[];
    const d = dtype as SafetensorsDtype;
    if (end - begin !== elementCount(s) * dtypeBytes(d)) {
      fail(
        `tensor ${name} spans ${end - begin} bytes but ${d}[${s.join(',')}] needs ${elementCount(s) * dtypeBytes(d)}`,
      );
    }
    entries.push({ name, dtype: d, shape: s, begin, end });
  }
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  for (const e of entries) {
    if (e.begin !== cursor) {
      fail(
        `tensor ${e.name} starts at byte ${e.begin} of the data section, expected ${cursor} (gap or overlap)`,
      );
    }
    cursor = e.end;
  }
  if (cursor !== dataBytes) {
    fail(
      `tensors cover ${cursor} bytes but the data section has ${dataBytes}; the file is truncated or padded`,
    );
  }
  return { entries: new Map(entries.map((e) => [e.name, e])), metadata };
}

/**
 * Serializes a header the way the reference implementation does: `__metadata__` first, then
 * tensors in data order, padded with spaces to a multiple of 8 bytes so the data section
 * (which starts after the 8-byte length prefix) stays 8-byte aligned.
 */
export function serializeSafetensorsHeader(
  entries: readonly TensorEntry[],
  metadata: Record<string, string> | undefined,
): Uint8Array {
  const obj: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length > 0) obj[METADATA_KEY] = metadata;
  for (const e of entries) obj[e.name] = { dtype: e.dtype, shape: e.shape, data_offsets: [e.begin, e.end] };
  const json = new TextEncoder().encode(JSON.stringify(obj));
  const padded = new Uint8Array(Math.ceil(json.length / 8) * 8).fill(0x20);
  padded.set(json);
  return padded;
}
