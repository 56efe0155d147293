import { hasBytes } from './bytes';
import { LAST_CLASSIC_TIFF_TYPE, TIFF_TYPE_SIZE } from './tiff-types';

/**
 * The EXIF orientation libvips derives from an EXIF block, reproducing libexif 0.6 (which parses the
 * block) and libvips 8.17 (`vips__exif_parse`, which reads IFD0's Orientation back from libexif's
 * text rendering of the entry):
 *
 * - a block that does not start with `Exif` gets an `Exif\0\0` header put in front (PNG `eXIf` and
 *   WebP `EXIF` payloads are bare TIFF data); one that starts with `Exif` but not `Exif\0\0` is
 *   not understood;
 * - libexif looks at no more than 0xfffe bytes, keeps the first IFD0 Orientation entry whose data
 *   lies inside them, and converts BYTE/SBYTE/SSHORT/LONG/SLONG values to SHORT (keeping 16 bits);
 * - libvips then takes the first number of the rendering: the first component when there are
 *   fewer than 10, a RATIONAL's numerator, nothing (0) otherwise; anything outside 1..8 is 1.
 *
 * Returns undefined when the block sets no orientation (unreadable, or no Orientation entry).
 */
export function exifOrientation(block: Uint8Array): number | undefined {
  // vips_exif_load_data_without_fix refuses these outright.
  if (block.length < 4 || block.length > 1 << 23) return undefined;
  const data = withExifHeader(block);
  // libexif: the block must start with the 6-byte EXIF header (its JPEG-marker search never
  // succeeds on data that starts with 'E'), then hold a TIFF header.
  if (data.length < 14 || !hasBytes(data, EXIF_HEADER)) return undefined;
  const ds = Math.min(data.length, 0xfffe);
  const le = data[6] === 0x49 && data[7] === 0x49;
  if (!le && !(data[6] === 0x4d && data[7] === 0x4d)) return undefined;
  const short = (at: number) => (le ? data[at] | (data[at + 1] << 8) : (data[at] << 8) | data[at + 1]);
  const long = (at: number) =>
    (le
      ? data[at] | (data[at + 1] << 8) | (data[at + 2] << 16) | (data[at + 3] << 24)
      : (data[at] << 24) | (data[at + 1] << 16) | (data[at + 2] << 8) | data[at + 3]) >>> 0;
  if (short(8) !== 0x2a) return undefined;
  const ifd0 = long(10);
  if (ifd0 > ds || ifd0 + 8 > ds) return undefined;

  // exif_data_load_data_content(IFD0) over the TIFF data (6 bytes in, `size` bytes long).
  const tiff = 6;
  const size = ds - 6;
  if (ifd0 >= size || 2 > size || ifd0 > size - 2) return undefined;
  let n = short(tiff + ifd0);
  const first = ifd0 + 2;
  if (first >= size || 12 * n > size || first > size - 12 * n) n = Math.floor((size - first) / 12);
  for (let i = 0; i < n; i++) {
    const entry = first + 12 * i;
    if (short(tiff + entry) !== ORIENTATION_TAG) continue;
    const format = short(tiff + entry + 2);
    const components = long(tiff + entry + 4);
    // Unsigned 32-bit arithmetic, as in libexif.
    const formatSize = format <= LAST_CLASSIC_TIFF_TYPE ? (TIFF_TYPE_SIZE[format] ?? 0) : 0;
    const s = (formatSize * components) % 0x1_0000_0000;
    if (s < components || s === 0) continue;
    const at = s > 4 ? long(tiff + entry + 8) : entry + 8;
    if (at >= size || s > size - at) continue;
    return orientationValue(data, format, components, tiff + at, short, long);
  }
  return undefined;
}

const EXIF_HEADER = [0x45, 0x78, 0x69, 0x66, 0x00, 0x00];
const ORIENTATION_TAG = 0x0112;

/** The bytes libexif parses: `block` itself when it starts with `Exif`, else `Exif\0\0` + block. */
function withExifHeader(block: Uint8Array): Uint8Array {
  if (hasBytes(block, 'Exif')) return block;
  // libexif reads at most 0xfffe bytes, so no more need copying.
  const out = new Uint8Array(Math.min(block.length + 6, 0xfffe));
  out.set(EXIF_HEADER);
  out.set(block.subarray(0, out.length - 6), 6);
  return out;
}

function orientationValue(
  data: Uint8Array,
  format: number,
  components: number,
  at: number,
  short: (at: number) => number,
  long: (at: number) => number,
): number {
  let value = 0;
  if (components < 10) {
    switch (format) {
      case 1: // BYTE
      case 6: // SBYTE: libexif converts the raw byte
        value = data[at];
        break;
      case 3: // SHORT
      case 8: // SSHORT: the same 16 bits
        value = short(at);
        break;
      case 4: // LONG
      case 9: // SLONG: truncated to 16 bits by the SHORT conversion
        value = long(at) & 0xffff;
        break;
      case 5: // RATIONAL: "%u/%u"; atoi of an unsigned over INT_MAX is negative
        value = long(at);
        break;
      case 10: // SRATIONAL: "%d/%d"
        value = long(at) | 0;
        break;
      default: // rendered as text ("Invalid format ..."): atoi gives 0
        value = 0;
    }
  }
  return value >= 1 && value <= 8 ? value : 1;
}
