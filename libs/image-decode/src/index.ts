export {
  decodeImage,
  decodeImageRows,
  type DecodedImage,
  type DecodedRows,
  type DecodeLimits,
} from './decode-image';
// The format sniffing and the header reader live in @internvl/image-format (pure, no sharp);
// re-exported for the users of this package.
export {
  isSupportedFormat,
  readImageHeader,
  sniffImageFormat,
  SUPPORTED_FORMATS,
  type ImageHeader,
  type SupportedFormat,
} from '@internvl/image-format';
