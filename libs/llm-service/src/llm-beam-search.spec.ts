import { strict as assert } from 'node:assert';
import { status } from '@grpc/grpc-js';
import { describe, test } from 'node:test';
import { CheckpointReader } from '@internvl/checkpoint';
import { beamSearchGenerate } from '@internvl/reference-model';
import {
  conversationHeader,
  expectError,
  generate,
  randomImage,
  serveTinyModel,
  user,
} from './testing/llm-fixtures';

// Beam search through the llm tier (beams as rows of the shared batch, caches forked and reordered
// by the engine) against a plain reference beam search over the reference forward (HF semantics).

for (const llm of ['phi3', 'internlm2'] as const) {
  describe(`${llm}: beam search`, () => {
    const { model, served } = serveTinyModel(llm, { seed: 29, args: ['--max-active-sequences', '12'] });

    for (const [numBeams, lengthPenalty, earlyStopping] of [
      [2, 1, false],
      [4, 1, false],
      [4, 2, true],
    ] as const) {
      test(`num_beams ${numBeams}, length_penalty ${lengthPenalty}, early_stopping ${earlyStopping}: the reference's tokens, also beside other requests`, async () => {
        const image = randomImage(served, 71);
        const header = conversationHeader(
          [user('<image>\nWhat do you see?')],
          [image],
          { maxNewTokens: 10, numBeams, lengthPenalty, earlyStopping },
          { returnPrompt: true },
        );
        // A sampled request shares the decode steps with the beams.
        const [got] = await Promise.all([
          generate(served.client, header, [image]),
          generate(
            served.client,
            conversationHeader([user('Talk.')], [], { maxNewTokens: 12, temperature: 1, seed: 3 }),
          ),
        ]);
        const { tokens } = served.runtime.model.manifest;
        const expected = beamSearchGenerate(
          model.checkpoint.config,
          CheckpointReader.open(model.checkpoint.dir),
          got.prompt!.inputIds,
          image.rows,
          tokens.imageContext,
          { numBeams, maxNewTokens: 10, eosIds: tokens.stop, lengthPenalty, earlyStopping },
        );
        assert.deepEqual(got.tokenIds, expected);
        assert.equal(got.finish?.usage?.completionTokens, expected.length);
      });
    }

    test('beam search with sampling options or several choices is INVALID_ARGUMENT', async () => {
      await expectError(
        generate(
          served.client,
          conversationHeader([user('Hi')], [], { numBeams: 2, temperature: 0.7, n: 2 }),
        ),
        status.INVALID_ARGUMENT,
        /beam search \(num_beams 2\) cannot be combined with temperature, n/,
      );
      await expectError(
        generate(served.client, conversationHeader([user('Hi')], [], { lengthPenalty: 2 })),
        status.INVALID_ARGUMENT,
        /apply to beam search only/,
      );
    });
  });
}
