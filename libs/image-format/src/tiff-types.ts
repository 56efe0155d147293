/**
 * Bytes per value of each TIFF field type (1 BYTE ... 12 DOUBLE, 13 IFD, 16–18 the BigTIFF
 * 64-bit types); EXIF blocks use the classic types 1–12 only.
 */
export const TIFF_TYPE_SIZE: Readonly<Record<number, number>> = {
  1: 1,
  2: 1,
  3: 2,
  4: 4,
  5: 8,
  6: 1,
  7: 1,
  8: 2,
  9: 4,
  10: 8,
  11: 4,
  12: 8,
  13: 4,
  16: 8,
  17: 8,
  18: 8,
};

/** The last classic type; libexif treats anything above as invalid. */
export const LAST_CLASSIC_TIFF_TYPE = 12;
