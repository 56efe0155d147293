/** The gateway's per-chat limits (from its config). */
export interface ChatLimits {
  /** Most images of one chat, all messages together. */
  maxImages: number;
  /** Most tiles of all images of one chat together, thumbnails included. */
  maxTotalTiles: number;
  /** max_tiles of an image whose tiling options leave it zero. */
  defaultMaxTiles: number;
}

/** "image 2 (message 1, part 3)": where an image is in a chat, all numbers counting from 1. */
export function imageLabel(image: number, messageIndex: number, partIndex: number): string {
  return `image ${image} (message ${messageIndex + 1}, part ${partIndex + 1})`;
}
