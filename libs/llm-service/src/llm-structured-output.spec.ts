import { strict as assert } from 'node:assert';
import { status } from '@grpc/grpc-js';
import { describe, test } from 'node:test';
import {
  conversationHeader,
  expectError,
  FinishReason,
  generate,
  serveTinyModel,
  user,
} from './testing/llm-fixtures';

// Structured output through the llm tier: random weights sampled at temperature 0.9 still answer
// with JSON that validates, because every step is masked to what the grammar allows.

const ID_CARD = {
  type: 'object',
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 12 },
    birth_year: { type: 'integer', minimum: 1900, maximum: 2025 },
    sex: { enum: ['F', 'M', 'X'] },
    id_number: { type: 'string', pattern: '^[A-Z]{2}[0-9]{6}$' },
    height_m: { type: 'number', minimum: 0.5, maximum: 2.5 },
  },
  required: ['name', 'birth_year', 'sex', 'id_number', 'height_m'],
  additionalProperties: false,
};

function checkIdCard(text: string): void {
  const v = JSON.parse(text) as Record<string, unknown>;
  assert.deepEqual(Object.keys(v).sort(), ['birth_year', 'height_m', 'id_number', 'name', 'sex'], text);
  assert.ok(typeof v.name === 'string' && v.name.length >= 1 && v.name.length <= 12, text);
  assert.ok(
    Number.isInteger(v.birth_year) && (v.birth_year as number) >= 1900 && (v.birth_year as number) <= 2025,
    text,
  );
  assert.ok(['F', 'M', 'X'].includes(v.sex as string), text);
  assert.match(v.id_number as string, /^[A-Z]{2}[0-9]{6}$/, text);
  assert.ok(typeof v.height_m === 'number' && v.height_m >= 0.5 && v.height_m <= 2.5, text);
}

for (const llm of ['phi3', 'internlm2'] as const) {
  describe(`${llm}: structured output`, () => {
    const { served } = serveTinyModel(llm, { seed: 17, args: ['--max-active-sequences', '4'] });

    const ask = (
      constraint: NonNullable<Parameters<typeof conversationHeader>[2]>['constraint'],
      seed: number,
    ) =>
      generate(
        served.client,
        conversationHeader([user('Read the ID card and answer in JSON.')], [], {
          maxNewTokens: 200,
          temperature: 0.9,
          seed,
          constraint,
        }),
      );

    test('json_schema answers at temperature 0.9 parse, validate and finish with stop (several seeds, batched)', async () => {
      const constraint = { $case: 'jsonSchema' as const, value: JSON.stringify(ID_CARD) };
      // Free rows share the decode steps with constrained ones.
      const [answers, free] = await Promise.all([
        Promise.all([1, 2, 3, 4, 5].map((seed) => ask(constraint, seed))),
        ask(undefined, 9),
      ]);
      for (const a of answers) {
        checkIdCard(a.text);
        assert.equal(a.finish?.reason, FinishReason.FINISH_REASON_STOP, a.text);
      }
      assert.ok(free.tokenIds.length > 0);
      assert.ok(
        served.runtime.scheduler.stats.largestBatch > 1,
        'constrained and free rows decoded together',
      );
    });

    test('json_object, regex and EBNF answers hold their shape', async () => {
      const regex = await ask({ $case: 'regex', value: '[0-9]{3}-[a-z]{2,4}' }, 3);
      assert.match(regex.text, /^[0-9]{3}-[a-z]{2,4}$/);
      const ebnf = await ask({ $case: 'ebnf', value: 'root ::= ("yes" | "no") " because " [a-z]{1,5}' }, 4);
      assert.match(ebnf.text, /^(yes|no) because [a-z]{1,5}$/);
      for (const seed of [1, 2, 3]) {
        const object = await ask({ $case: 'jsonObject', value: true }, seed);
        // A random model may run out of tokens inside an unbounded object: only a finished one must parse.
        if (object.finish?.reason === FinishReason.FINISH_REASON_STOP) {
          const value = JSON.parse(object.text) as unknown;
          assert.ok(typeof value === 'object' && value !== null && !Array.isArray(value), object.text);
        } else assert.match(object.text.trimStart(), /^\{/);
      }
    });

    test('a schema that does not compile is INVALID_ARGUMENT naming the problem', async () => {
      await expectError(
        ask({ $case: 'jsonSchema', value: '{"type": 12}' }, 1),
        status.INVALID_ARGUMENT,
        /json_schema does not compile: .*Type should be a string/,
      );
      await expectError(
        ask({ $case: 'jsonSchema', value: '{"type": "object"' }, 1),
        status.INVALID_ARGUMENT,
        /json_schema is not valid JSON/,
      );
      await expectError(ask({ $case: 'regex', value: '' }, 1), status.INVALID_ARGUMENT, /regex is empty/);
    });
  });
}
