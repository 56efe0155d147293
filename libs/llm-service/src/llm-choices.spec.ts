import { strict as assert } from 'node:assert';
import { status } from '@grpc/grpc-js';
import { after, before, describe, test } from 'node:test';
import {
  buildTinyModel,
  conversationHeader,
  expectError,
  generate,
  seeded,
  serve,
  user,
  type Collected,
  type SentImage,
  type Served,
} from './testing/llm-fixtures';

describe('n choices from one Generate call', () => {
  let served: Served;
  before(async () => {
    served = await serve((await buildTinyModel('phi3', 23)).dir);
  });
  after(() => served.stop());

  test('n=3 with a seed: each choice is the single answer with seed + its index; the prompt is prefilled once', async () => {
    const hidden = served.runtime.model.hiddenSize;
    const image: SentImage = { tiles: 1, rows: seeded(256 * hidden, 61, 0.5) };
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
