import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import Ajv from 'ajv';
import type OpenAI from 'openai';
import { closeJsonPrefix } from './support/json-prefix';
import { FIXTURES } from './support/paths';
import { tinyStackForSuite } from './support/suite-stack';
import { TINY_MODEL_NAME } from './support/tiny-model';

// The article's third use: read an ID card and answer in JSON. With random weights sampled at
// temperature 0.9, every answer must still be JSON that validates, ending with finish_reason stop.

const IMAGE = readFileSync(join(FIXTURES, 'images', 'image1.jpg'));

const ID_CARD = {
  type: 'object',
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 16 },
    document: { enum: ['id_card', 'passport', 'driving_licence'] },
    id_number: { type: 'string', pattern: '^[A-Z]{2}[0-9]{6}$' },
    birth_year: { type: 'integer', minimum: 1900, maximum: 2025 },
    height_m: { type: 'number', minimum: 0.5, maximum: 2.5 },
    nationality: { type: 'string', minLength: 2, maxLength: 3 },
  },
  required: ['name', 'document', 'id_number', 'birth_year', 'height_m', 'nationality'],
  additionalProperties: false,
};

describe('structured output and n choices through the OpenAI API (official client, random-weight model)', () => {
  const { openai } = tinyStackForSuite();

  const question = (withImage: boolean): OpenAI.Chat.ChatCompletionMessageParam[] => [
    {
      role: 'user',
      content: [
        ...(withImage
          ? [
              {
                type: 'image_url' as const,
                image_url: {
                  url: `data:image/jpeg;base64,${IMAGE.toString('base64')}`,
                  detail: 'low' as const,
                },
              },
            ]
          : []),
        { type: 'text' as const, text: 'Read the ID card and answer in JSON.' },
      ],
    },
  ];

  test('json_schema answers parse and validate (enums, pattern, lengths, ranges, required, no extra keys) at temperature 0.9', async () => {
    const validate = new Ajv().compile(ID_CARD);
    for (const seed of [1, 2, 3, 4]) {
      const completion = await openai.chat.completions.create({
        model: TINY_MODEL_NAME,
        messages: question(seed === 1),
        temperature: 0.9,
        seed,
        max_tokens: 300,
        response_format: {
          type: 'json_schema',
          json_schema: { name: 'id_card', schema: ID_CARD, strict: true },
        },
      });
      const choice = completion.choices[0]!;
      const value: unknown = JSON.parse(choice.message.content!);
      assert.ok(
        validate(value),
        `seed ${seed}: ${JSON.stringify(validate.errors)} in ${choice.message.content}`,
      );
      assert.equal(choice.finish_reason, 'stop', `seed ${seed}`);
    }
  });

  test('streamed, the same schema holds once the chunks are joined', async () => {
    const stream = await openai.chat.completions.create({
      model: TINY_MODEL_NAME,
      messages: question(false),
      temperature: 0.9,
      seed: 11,
      max_tokens: 300,
      stream: true,
      response_format: { type: 'json_schema', json_schema: { name: 'id_card', schema: ID_CARD } },
    });
    let text = '';
    let finish: string | null = null;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    assert.ok(new Ajv().validate(ID_CARD, JSON.parse(text)), text);
    assert.equal(finish, 'stop');
  });

  test('json_object answers are JSON objects (an unbounded object may run out of tokens on random weights)', async () => {
    let finished = 0;
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      const completion = await openai.chat.completions.create({
        model: TINY_MODEL_NAME,
        messages: question(false),
        temperature: 0.9,
        seed,
        max_tokens: 400,
        response_format: { type: 'json_object' },
      });
      const choice = completion.choices[0]!;
      const text = choice.message.content!;
      // Cut off by max_tokens, it is still the beginning of an object, never anything else.
      const whole = choice.finish_reason === 'stop' ? text : closeJsonPrefix(text);
      if (choice.finish_reason === 'stop') finished++;
      else assert.equal(choice.finish_reason, 'length');
      const value: unknown = JSON.parse(whole);
      assert.ok(typeof value === 'object' && value !== null && !Array.isArray(value), text);
    }
    // Random weights rarely close an unbounded object within max_tokens; count, for the log.
    process.stdout.write(`# json_object answers that finished: ${finished} of 6\n`);
  });

  test('a schema that does not compile is a 400 naming the problem', async () => {
    const err = await openai.chat.completions
      .create({
        model: TINY_MODEL_NAME,
        messages: question(false),
        response_format: {
          type: 'json_schema',
          json_schema: { name: 'bad', schema: JSON.parse('{"type": 12}') as Record<string, unknown> },
        },
      })
      .then(
        (): never => assert.fail('expected a 400'),
        (e: unknown) => e as InstanceType<typeof OpenAI.APIError>,
      );
    assert.equal(err.status, 400);
    assert.match(err.message, /json_schema does not compile: .*Type should be a string/);
  });

  test('n=3 with a seed gives three choices, each the single answer with seed + its index; streamed chunks carry the index', async () => {
    const ask = (n: number, seed: number) =>
      openai.chat.completions.create({
        model: TINY_MODEL_NAME,
        messages: question(true),
        temperature: 1,
        seed,
        n,
        max_tokens: 10,
      });
    const three = await ask(3, 20);
    assert.deepEqual(
      three.choices.map((c) => c.index),
      [0, 1, 2],
    );
    for (const [i, seed] of [20, 21, 22].entries()) {
      const single = await ask(1, seed);
      assert.equal(three.choices[i]!.message.content, single.choices[0]!.message.content, `choice ${i}`);
    }
    assert.ok(three.usage!.completion_tokens > 0);

    const stream = await openai.chat.completions.create({
      model: TINY_MODEL_NAME,
      messages: question(true),
      temperature: 1,
      seed: 20,
      n: 3,
      max_tokens: 10,
      stream: true,
    });
    const texts = ['', '', ''];
    const finishes: (string | null)[] = [null, null, null];
    for await (const chunk of stream) {
      for (const c of chunk.choices) {
        texts[c.index] += c.delta.content ?? '';
        finishes[c.index] = c.finish_reason ?? finishes[c.index]!;
      }
    }
    assert.deepEqual(
      texts,
      three.choices.map((c) => c.message.content),
    );
    assert.ok(
      finishes.every((f) => f === 'stop' || f === 'length'),
      `${finishes}`,
    );
  });
});
