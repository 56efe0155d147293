import { strict as assert } from 'node:assert';
import { status } from '@grpc/grpc-js';
import { describe, test } from 'node:test';
import {
  conversationHeader,
  expectError,
  generate,
  randomImage,
  serveTinyModel,
  user,
  type Collected,
} from './testing/llm-fixtures';

describe('n choices from one Generate call', () => {
  const { served } = serveTinyModel('phi3', { seed: 23 });

  test('n=3 with a seed: each choice is the single answer with seed + its index; the prompt is prefilled once', async () => {
    const image = randomImage(served, 61);
    const header = (n: number, seed: number) =>
      conversationHeader([user('<image>\nTell me three things about it.')], [image], {
        maxNewTokens: 12,
        temperature: 1.1,
        topP: 0.95,
        seed,
        n,
      });
    const three = await generate(served.client, header(3, 40), [image]);
    const singles: Collected[] = [];
    for (const seed of [40, 41, 42]) singles.push(await generate(served.client, header(1, seed), [image]));
    assert.equal(three.choices.length, 3);
    three.choices.forEach((choice, i) => {
      assert.deepEqual(choice.tokenIds, singles[i]!.tokenIds, `choice ${i}`);
      assert.equal(choice.text, singles[i]!.text, `choice ${i}`);
      assert.equal(choice.finish?.index, i);
    });
    assert.notDeepEqual(three.choices[0]!.tokenIds, three.choices[1]!.tokenIds);
    // Choices after the first found the prompt (image included) in the prefix cache.
    const prompt = three.choices[0]!.finish!.usage!.promptTokens;
    for (const c of three.choices.slice(1))
      assert.ok(
        c.finish!.usage!.cachedTokens >= prompt - 16,
        `${c.finish!.usage!.cachedTokens} of ${prompt}`,
      );
  });

  test('n out of range is INVALID_ARGUMENT', async () => {
    await expectError(
      generate(served.client, conversationHeader([user('Hi')], [], { n: 17 })),
      status.INVALID_ARGUMENT,
      /n is 17; it must be 1 to 16/,
    );
  });
});
