/**
 * Bounded byte access shared by the header readers. Every reader checks `fits` before it reads, so
 * truncated input ends a parse instead of reading `undefined`.
 */

/**
 * How far into a file the readers that walk it (JPEG markers, PNG chunks, GIF blocks, RIFF and
 * ISO-BMFF boxes) go; a header that needs more is reported as unreadable. TIFF directories are
 * read where their offsets point and need no walk.
 */
export const MAX_SCAN_BYTES = 64 * 1024 * 1024;

/** Most markers, chunks or boxes a reader walks before the header it needs; real files have tens. */
export const MAX_WALK_STEPS = 100_000;

/** Whether `length` bytes starting at `offset` lie inside `bytes`. */
export function fits(bytes: Uint8Array, offset: number, length: number): boolean {
  return (
    Number.isSafeInteger(offset) &&
    Number.isSafeInteger(length) &&
    offset >= 0 &&
    length >= 0 &&
    offset + length <= bytes.length
  );
}

export function u16be(b: Uint8Array, at: number): number {
  return (b[at] << 8) | b[at + 1];
}

export function u16le(b: Uint8Array, at: number): number {
  return b[at] | (b[at + 1] << 8);
}

export function u24le(b: Uint8Array, at: number): number {
  return b[at] | (b[at + 1] << 8) | (b[at + 2] << 16);
}

export function u32be(b: Uint8Array, at: number): number {
  return ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;
}

export function u32le(b: Uint8Array, at: number): number {
  return (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24)) >>> 0;
}

/** An unsigned 64-bit value as a JS number (exact below 2^53, which is all any reader accepts). */
export function u64be(b: Uint8Array, at: number): number {
  return u32be(b, at) * 0x1_0000_0000 + u32be(b, at + 4);
}

export function u64le(b: Uint8Array, at: number): number {
  return u32le(b, at + 4) * 0x1_0000_0000 + u32le(b, at);
}

/** Latin-1 text of `bytes[start, end)`, clipped to the array. */
export function latin1(bytes: Uint8Array, start: number, end: number): string {
  let s = '';
  const stop = Math.min(end, bytes.length);
  for (let i = Math.max(0, start); i < stop; i++) s += String.fromCharCode(bytes[i]);
  return s;
}

/** Whether `bytes` holds `prefix` (numbers or Latin-1 text) at `at`. */
export function hasBytes(bytes: Uint8Array, prefix: readonly number[] | string, at = 0): boolean {
  if (at < 0 || bytes.length < at + prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) {
    const want = typeof prefix === 'string' ? prefix.charCodeAt(i) : prefix[i];
    if (bytes[at + i] !== want) return false;
  }
  return true;
}
