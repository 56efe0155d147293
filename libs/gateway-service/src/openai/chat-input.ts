import {
  ElementType,
  ImageLayout,
  type ChatInput,
  type ContentPart,
  type TilingOptions,
} from '@internvl/contracts';
import type { ChatCompletionRequest, RequestPart } from './chat-completion-request';

/** Fetches or decodes one image URL; `param` locates it in the request for error messages. */
export type ImageLoader = (url: string, param: string) => Promise<Buffer>;

/** Builds the engine's ChatInput, loading all images of the request in parallel. */
export async function toChatInput(
  request: ChatCompletionRequest,
  loadImage: ImageLoader,
): Promise<ChatInput> {
  const messages = await Promise.all(
    request.messages.map(async (message) => ({
      role: message.role,
      content: await Promise.all(message.parts.map((part) => toContentPart(part, loadImage))),
    })),
  );
  // UNSPECIFIED lets the engine pick the layout of the served model.
  return { messages, params: request.params, imageLayout: ImageLayout.IMAGE_LAYOUT_UNSPECIFIED };
}

async function toContentPart(part: RequestPart, loadImage: ImageLoader): Promise<ContentPart> {
  if (part.type === 'text') return { part: { $case: 'text', value: part.text } };
  const data = await loadImage(part.url, part.param);
  return { part: { $case: 'image', value: { data, tiling: tiling(part.maxTiles) } } };
}

// Zero values take the gateway's defaults; only the tile budget comes from the request.
function tiling(maxTiles: number): TilingOptions {
  return {
    minTiles: 0,
    maxTiles,
    useThumbnail: undefined,
    imageSize: 0,
    autoOrient: false,
    dtype: ElementType.ELEMENT_TYPE_UNSPECIFIED,
  };
}
