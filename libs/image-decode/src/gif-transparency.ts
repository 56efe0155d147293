/**
 * Reads, from a GIF's headers, the colour Pillow shows for the first frame's transparent pixels:
 * Pillow's `convert('RGB')` of a palette image ignores transparency and uses the palette entry of
 * the transparent index, while libvips makes those pixels transparent black. Only headers are
 * parsed; image data is skipped block by block.
 */

/** The RGB colour of the first frame's transparent index, or undefined when there is none. */
export function gifTransparentColour(bytes: Uint8Array): [number, number, number] | undefined {
  if (bytes.length < 13) return undefined;
  const flags = bytes[10];
  let at = 13;
  let globalTable: Uint8Array | undefined;
  if (flags & 0x80) {
    const size = 3 * (1 << ((flags & 0x07) + 1));
    globalTable = bytes.subarray(at, at + size);
    at += size;
  }
  let transparentIndex: number | undefined;
  while (at < bytes.length) {
    const block = bytes[at];
    if (block === 0x21) {
      const label = bytes[at + 1];
      at += 2;
      // Graphic Control Extension: size 4, flags, delay (2), transparent index.
      if (label === 0xf9 && bytes[at] >= 4) {
        transparentIndex = bytes[at + 1] & 0x01 ? bytes[at + 4] : undefined;
      }
      while (at < bytes.length && bytes[at] !== 0) at += bytes[at] + 1;
      at += 1;
    } else if (block === 0x2c) {
      if (transparentIndex === undefined || at + 10 > bytes.length) return undefined;
      const imageFlags = bytes[at + 9];
      let table = globalTable;
      if (imageFlags & 0x80) {
        const size = 3 * (1 << ((imageFlags & 0x07) + 1));
        table = bytes.subarray(at + 10, at + 10 + size);
      }
      const i = transparentIndex * 3;
      if (table === undefined || i + 3 > table.length) return undefined;
      return [table[i], table[i + 1], table[i + 2]];
    } else {
      return undefined;
    }
  }
  return undefined;
}
