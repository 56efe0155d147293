import type { ChatResponse, Finish, StreamChatResponse } from '@internvl/contracts';
import { InternalError } from '@internvl/errors';

/** A streamed answer gathered into one ChatResponse: all text, all token ids and the finish. */
export async function collectChat(events: AsyncIterable<StreamChatResponse>): Promise<ChatResponse> {
  const text: string[] = [];
  const tokenIds: number[] = [];
  let finish: Finish | undefined;
  for await (const { kind } of events) {
    if (kind?.$case === 'delta') {
      text.push(kind.value.text);
      for (const id of kind.value.tokenIds) tokenIds.push(id);
    } else if (kind?.$case === 'finish') finish = kind.value;
  }
  if (!finish) throw new InternalError('the llm tier ended the answer without a finish event');
  return { text: text.join(''), tokenIds, finish };
}
