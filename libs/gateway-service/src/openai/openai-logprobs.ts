import type { TokenLogprob, TopLogprob } from '@internvl/contracts';

/** One entry of OpenAI's `choices[i].logprobs.content`. */
export interface OpenAiTokenLogprob {
  token: string;
  logprob: number;
  bytes: number[];
  top_logprobs: OpenAiTopLogprob[];
}

export interface OpenAiTopLogprob {
  token: string;
  logprob: number;
  bytes: number[];
}

/** OpenAI's `choices[i].logprobs` object (null on a choice when logprobs were not asked). */
export interface OpenAiLogprobs {
  content: OpenAiTokenLogprob[];
  refusal: null;
}

/** The llm tier's TokenLogprob entries in OpenAI's shape (bytes as a list of numbers). */
export function openAiLogprobs(entries: readonly TokenLogprob[]): OpenAiLogprobs {
  return {
    content: entries.map((e) => ({ ...top(e), top_logprobs: e.top.map(top) })),
    refusal: null,
  };
}

function top(e: TopLogprob): OpenAiTopLogprob {
  return { token: e.token, logprob: e.logprob, bytes: [...e.bytes] };
}
