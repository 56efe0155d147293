export { isSupportedFormat, sniffImageFormat, SUPPORTED_FORMATS, type SupportedFormat } from './sniff-format';
export { readImageHeader, type ImageHeader } from './image-header';
