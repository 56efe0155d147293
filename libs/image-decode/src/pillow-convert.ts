/**
 * The parts of Pillow 9.4's `Image.convert('RGB')` that libvips does differently, applied to raw
 * pixels from sharp. Everything else (alpha dropped without compositing, grey replicated,
 * palettes expanded, 16-bit RGB truncated to the high byte) already matches.
 */

/** `CMYK` -> `RGB` as Pillow's `cmyk2rgb`: `255 - k - c * (255 - k) / 255`, rounded like MULDIV255. */
export function cmykToRgb(cmyk: Uint8Array, pixels: number): Uint8Array {
  const out = new Uint8Array(pixels * 3);
  for (let i = 0, o = 0; i < pixels * 4; i += 4, o += 3) {
    const nk = 255 - cmyk[i + 3];
    for (let c = 0; c < 3; c++) {
      const t = cmyk[i + c] * nk + 128;
      out[o + c] = nk - (((t >> 8) + t) >> 8);
    }
  }
  return out;
}

/**
 * 16-bit greyscale without alpha: Pillow opens it as mode `I` (32-bit integers) and `i2rgb`
 * clamps each value to [0, 255] (so most pixels become white) rather than scaling.
 */
export function grey16ToRgb(grey: Uint16Array, pixels: number): Uint8Array {
  const out = new Uint8Array(pixels * 3);
  for (let i = 0, o = 0; i < pixels; i++, o += 3) {
    const v = grey[i] > 255 ? 255 : grey[i];
    out[o] = v;
    out[o + 1] = v;
    out[o + 2] = v;
  }
  return out;
}

/** RGBA -> RGB, giving fully transparent pixels `colour` (see `gifTransparentColour`). */
export function rgbaToRgbFilling(
  rgba: Uint8Array,
  pixels: number,
  colour: readonly [number, number, number],
): Uint8Array {
  const out = new Uint8Array(pixels * 3);
  for (let i = 0, o = 0; i < pixels * 4; i += 4, o += 3) {
    const clear = rgba[i + 3] === 0;
    out[o] = clear ? colour[0] : rgba[i];
    out[o + 1] = clear ? colour[1] : rgba[i + 1];
    out[o + 2] = clear ? colour[2] : rgba[i + 2];
  }
  return out;
}
