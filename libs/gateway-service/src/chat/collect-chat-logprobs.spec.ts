import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { FinishReason, type StreamChatResponse, type TokenLogprob } from '@internvl/contracts';
import { collectChat } from './collect-chat';

const lp = (tokenId: number, logprob: number): TokenLogprob => ({
  tokenId,
  token: `t${tokenId}`,
  bytes: Buffer.from(`t${tokenId}`),
  logprob,
  top: [{ tokenId, token: `t${tokenId}`, bytes: Buffer.from(`t${tokenId}`), logprob }],
});

async function* events(): AsyncIterable<StreamChatResponse> {
  yield { kind: { $case: 'delta', value: { text: 'a', tokenIds: [1], logprobs: [lp(1, -0.5)], index: 0 } } };
  yield { kind: { $case: 'delta', value: { text: '', tokenIds: [2], logprobs: [lp(2, -1)], index: 0 } } };
  yield { kind: { $case: 'delta', value: { text: 'b', tokenIds: [3], logprobs: [lp(3, -2)], index: 0 } } };
  yield {
    kind: {
      $case: 'finish',
      value: { reason: FinishReason.FINISH_REASON_STOP, usage: undefined, timings: undefined, index: 0 },
    },
  };
}

test('Chat gathers every delta’s logprobs into ChatChoice.logprobs, in token order', async () => {
  const response = await collectChat(events());
  assert.deepEqual(response.tokenIds, [1, 2, 3]);
  assert.deepEqual(response.choices[0]!.logprobs, [lp(1, -0.5), lp(2, -1), lp(3, -2)]);
});
