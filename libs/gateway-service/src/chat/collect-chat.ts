import type { ChatChoice, ChatResponse, StreamChatResponse } from '@internvl/contracts';
import { InternalError } from '@internvl/errors';

/**
 * A streamed answer gathered into one ChatResponse: per choice (deltas and finishes carry its
 * index) all text, token ids, logprobs and its finish; choice 0 also fills the top-level fields.
 */
export async function collectChat(events: AsyncIterable<StreamChatResponse>): Promise<ChatResponse> {
  const choices = new Map<number, ChatChoice & { parts: string[] }>();
  const choice = (index: number) => {
    let c = choices.get(index);
    if (!c)
      choices.set(index, (c = { index, text: '', tokenIds: [], finish: undefined, logprobs: [], parts: [] }));
    return c;
  };
  for await (const { kind } of events) {
    if (kind?.$case === 'delta') {
      const c = choice(kind.value.index);
      c.parts.push(kind.value.text);
      for (const id of kind.value.tokenIds) c.tokenIds.push(id);
      for (const lp of kind.value.logprobs) c.logprobs.push(lp);
    } else if (kind?.$case === 'finish') choice(kind.value.index).finish = kind.value;
  }
  const all = [...choices.values()]
    .sort((a, b) => a.index - b.index)
    .map(({ parts, ...c }) => ({ ...c, text: parts.join('') }));
  if (all.length === 0 || all.some((c) => !c.finish)) {
    throw new InternalError('the llm tier ended the answer without a finish event');
  }
  const first = all[0]!;
  return { text: first.text, tokenIds: first.tokenIds, finish: first.finish, choices: all };
}
