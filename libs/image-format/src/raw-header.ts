/** What a format reader finds: the decoder's first-page size and the EXIF orientation it records. */
export interface RawHeader {
  width: number;
  height: number;
  /** 1..8 when the decoder records an orientation (libvips `orientation`), else undefined. */
  orientation?: number;
}
