import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import { ElementType, generationParams, ImageLayout, Role } from '@internvl/contracts';
import { parseChatCompletionRequest, type RequestLimits } from './chat-completion-request';
import { toChatInput } from './chat-input';
import { InvalidRequestError, OpenAiHttpError } from './openai-errors';

const LIMITS: RequestLimits = { modelName: 'm', maxImages: 2, defaultMaxTiles: 6 };

function parse(extra: Record<string, unknown>) {
  return parseChatCompletionRequest(
    { model: 'm', messages: [{ role: 'user', content: 'hi' }], ...extra },
    LIMITS,
  );
}

test('num_beams, length_penalty and early_stopping (HF names) ask for beam search', () => {
  const { params } = parse({ num_beams: 4, length_penalty: 0.8, early_stopping: true });
  assert.deepEqual([params.numBeams, params.lengthPenalty, params.earlyStopping], [4, 0.8, true]);
  assert.deepEqual([parse({}).params.numBeams, parse({}).params.lengthPenalty], [0, undefined]);
  assert.throws(() => parse({ num_beams: 17 }), /'num_beams' must be >= 1 and <= 16/);
  assert.throws(() => parse({ early_stopping: 'yes' }), /'early_stopping' must be a boolean/);
});

test('response_format and guided_* fields become the structured-output constraint', () => {
  assert.equal(parse({}).params.constraint, undefined);
  assert.equal(parse({ response_format: { type: 'text' } }).params.constraint, undefined);
  assert.deepEqual(parse({ response_format: { type: 'json_object' } }).params.constraint, {
    $case: 'jsonObject',
    value: true,
  });
  const schema = { type: 'object', properties: { a: { type: 'integer' } } };
  assert.deepEqual(
    parse({ response_format: { type: 'json_schema', json_schema: { name: 'card', schema, strict: true } } })
      .params.constraint,
    { $case: 'jsonSchema', value: JSON.stringify(schema) },
  );
  assert.deepEqual(parse({ guided_regex: '[0-9]+' }).params.constraint, { $case: 'regex', value: '[0-9]+' });
  assert.deepEqual(parse({ guided_grammar: 'root ::= "a"' }).params.constraint, {
    $case: 'ebnf',
    value: 'root ::= "a"',
  });
});

function rejects(extra: Record<string, unknown>, message: RegExp, param?: string | null) {
  assert.throws(
    () => parse(extra),
    (err: unknown) => {
      assert.ok(err instanceof InvalidRequestError, `expected InvalidRequestError, got ${String(err)}`);
      assert.match(err.message, message);
      if (param !== undefined) assert.equal(err.param, param);
      return true;
    },
  );
}

describe('parseChatCompletionRequest maps the OpenAI body', () => {
  test('a plain question takes the defaults: greedy, the llm default length, no stop strings', () => {
    const request = parse({});
    assert.equal(request.stream, false);
    assert.equal(request.includeUsage, false);
    assert.deepEqual(request.messages, [{ role: Role.ROLE_USER, parts: [{ type: 'text', text: 'hi' }] }]);
    assert.deepEqual(
      request.params,
      generationParams({
        topP: undefined,
        repetitionPenalty: undefined,
        presencePenalty: undefined,
        frequencyPenalty: undefined,
        seed: undefined,
      }),
    );
  });

  test('sampling options, stop strings and token limits carry over; nulls count as absent', () => {
    const request = parse({
      temperature: 0.7,
      top_p: 0.9,
      seed: 42,
      stop: ['\n\n', 'END'],
      max_completion_tokens: 64,
      top_k: 5,
      repetition_penalty: 1.1,
      presence_penalty: 0.5,
      frequency_penalty: null,
      logprobs: true,
      top_logprobs: 3,
      n: 1,
      user: 'ignored',
    });
    assert.deepEqual(
      request.params,
      generationParams({
        maxNewTokens: 64,
        temperature: 0.7,
        topP: 0.9,
        topK: 5,
        repetitionPenalty: 1.1,
        presencePenalty: 0.5,
        frequencyPenalty: undefined,
        logprobs: true,
        topLogprobs: 3,
        seed: 42,
        stop: ['\n\n', 'END'],
        n: 1,
      }),
    );
    assert.deepEqual(parse({ stop: 'X', max_tokens: 9 }).params.stop, ['X']);
    assert.equal(parse({ max_tokens: 9 }).params.maxNewTokens, 9);
  });

  test('roles, multi-round history and content parts become ChatInput messages with tiling', async () => {
    const request = parse({
      max_num: 4,
      messages: [
        { role: 'system', content: [{ type: 'text', text: 'Be brief.' }] },
        {
          role: 'user',
          content: [
            { type: 'image_url', image_url: { url: 'data:image/png;base64,AAEC' } },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,AwQ=', detail: 'low' } },
            { type: 'text', text: 'Compare them.' },
          ],
        },
        { role: 'assistant', content: 'They differ.' },
        { role: 'user', content: 'How?' },
      ],
    });
    const loaded: string[] = [];
    const input = await toChatInput(request, async (url, param) => {
      loaded.push(param);
      return Buffer.from(url.slice(-4));
    });
    assert.deepEqual(loaded, [
      'messages[1].content[0].image_url.url',
      'messages[1].content[1].image_url.url',
    ]);
    const tiling = (maxTiles: number) => ({
      minTiles: 0,
      maxTiles,
      useThumbnail: undefined,
      imageSize: 0,
      autoOrient: false,
      dtype: ElementType.ELEMENT_TYPE_UNSPECIFIED,
    });
    assert.deepEqual(input, {
      messages: [
        { role: Role.ROLE_SYSTEM, content: [{ part: { $case: 'text', value: 'Be brief.' } }] },
        {
          role: Role.ROLE_USER,
          content: [
            { part: { $case: 'image', value: { data: Buffer.from('AAEC'), tiling: tiling(4) } } },
            // detail: 'low' = a single tile.
            { part: { $case: 'image', value: { data: Buffer.from('AwQ='), tiling: tiling(1) } } },
            { part: { $case: 'text', value: 'Compare them.' } },
          ],
        },
        { role: Role.ROLE_ASSISTANT, content: [{ part: { $case: 'text', value: 'They differ.' } }] },
        { role: Role.ROLE_USER, content: [{ part: { $case: 'text', value: 'How?' } }] },
      ],
      params: request.params,
      imageLayout: ImageLayout.IMAGE_LAYOUT_UNSPECIFIED,
    });
  });

  test('images take the default tile budget without max_num; developer is a system message', () => {
    const request = parse({
      messages: [
        { role: 'developer', content: 'Rules.' },
        { role: 'user', content: [{ type: 'image_url', image_url: 'data:image/png;base64,AA==' }] },
      ],
    });
    assert.equal(request.messages[0].role, Role.ROLE_SYSTEM);
    assert.deepEqual(request.messages[1].parts, [
      {
        type: 'image',
        url: 'data:image/png;base64,AA==',
        maxTiles: 6,
        param: 'messages[1].content[0].image_url.url',
      },
    ]);
  });

  test("an image's own max_num (non-standard image_url.max_num) wins over the request's max_num and over detail", () => {
    const image = (extra: Record<string, unknown>) => ({
      type: 'image_url',
      image_url: { url: 'data:image/png;base64,AA==', ...extra },
    });
    const request = parse({
      max_num: 4,
      messages: [{ role: 'user', content: [image({ max_num: 2 }), image({ max_num: 9, detail: 'low' })] }],
    });
    assert.deepEqual(
      request.messages[0].parts.map((p) => (p.type === 'image' ? p.maxTiles : undefined)),
      [2, 9],
    );
    const field = 'messages[0].content[0].image_url.max_num';
    for (const bad of [0, 41, 2.5, '3']) {
      rejects(
        { messages: [{ role: 'user', content: [image({ max_num: bad })] }] },
        new RegExp(`'${field.replace(/[[\].]/g, '\\$&')}' must be`),
        field,
      );
    }
  });

  test('stream and stream_options.include_usage', () => {
    const request = parse({ stream: true, stream_options: { include_usage: true } });
    assert.equal(request.stream, true);
    assert.equal(request.includeUsage, true);
  });
});

describe('parseChatCompletionRequest rejects what it cannot honour, naming the field', () => {
  test('the body and the model', () => {
    assert.throws(() => parseChatCompletionRequest([], LIMITS), /must be a JSON object/);
    rejects({ model: undefined }, /'model' is required; this server serves 'm'/, 'model');
    assert.throws(
      () => parse({ model: 'gpt-4o' }),
      (err) => err instanceof OpenAiHttpError && err.status === 404 && err.code === 'model_not_found',
    );
  });

  test('messages', () => {
    rejects({ messages: undefined }, /'messages' must be a non-empty array/, 'messages');
    rejects({ messages: [] }, /non-empty array/, 'messages');
    rejects({ messages: [{ role: 'tool', content: 'x' }] }, /role' must be 'system', 'user' or 'assistant'/);
    rejects({ messages: [{ role: 'constructor', content: 'x' }] }, /role' must be/, 'messages[0].role');
    rejects({ messages: [{ role: 'user' }] }, /must be a string or an array/, 'messages[0].content');
    rejects(
      {
        messages: [
          { role: 'user', content: 'a' },
          { role: 'assistant', content: 'b' },
        ],
      },
      /last message must have role 'user'/,
    );
    rejects(
      { messages: [{ role: 'user', content: [{ type: 'input_audio', input_audio: {} }] }] },
      /must be 'text' or 'image_url'/,
      'messages[0].content[0].type',
    );
    rejects(
      {
        messages: [
          {
            role: 'assistant',
            content: [{ type: 'image_url', image_url: { url: 'data:image/png;base64,AA==' } }],
          },
          { role: 'user', content: 'x' },
        ],
      },
      /only allowed in 'user' messages/,
    );
    rejects(
      {
        messages: [
          { role: 'user', content: [{ type: 'image_url', image_url: { url: 'x', detail: 'max' } }] },
        ],
      },
      /'auto', 'low' or 'high'/,
      'messages[0].content[0].image_url.detail',
    );
  });

  test('more images than maxImages names the limit and the option', () => {
    const image = { type: 'image_url', image_url: { url: 'data:image/png;base64,AA==' } };
    rejects(
      { messages: [{ role: 'user', content: [image, image, image] }] },
      /3 images; the limit is 2 per request \(the gateway's --max-images \(INTERNVL_GATEWAY_MAX_IMAGES\)\)/,
      'messages',
    );
  });

  test('options this server does not do, and values out of range', () => {
    rejects({ n: 17 }, /'n' must be >= 1 and <= 16/, 'n');
    rejects({ n: 0 }, /'n' must be >= 1/, 'n');
    rejects(
      { presence_penalty: 2.5 },
      /'presence_penalty' must be >= -2 and <= 2, got 2.5/,
      'presence_penalty',
    );
    rejects({ frequency_penalty: -3 }, /'frequency_penalty' must be >= -2 and <= 2/, 'frequency_penalty');
    rejects({ logprobs: 'yes' }, /'logprobs' must be a boolean/, 'logprobs');
    rejects({ top_logprobs: 2 }, /'top_logprobs' requires 'logprobs' to be true/, 'top_logprobs');
    rejects({ logprobs: false, top_logprobs: 0 }, /'top_logprobs' requires 'logprobs'/, 'top_logprobs');
    rejects({ logprobs: true, top_logprobs: 21 }, /'top_logprobs' must be >= 0 and <= 20/, 'top_logprobs');
    rejects({ logprobs: true, top_logprobs: 1.5 }, /'top_logprobs' must be an integer/, 'top_logprobs');
    rejects({ tools: [{ type: 'function' }] }, /'tools' is not supported/);
    rejects(
      { response_format: { type: 'xml' } },
      /'response_format.type' must be 'text', 'json_object' or 'json_schema'/,
      'response_format.type',
    );
    rejects(
      { response_format: { type: 'json_schema' } },
      /'response_format.json_schema' must be an object/,
      'response_format.json_schema',
    );
    rejects(
      { response_format: { type: 'json_schema', json_schema: { name: 'bad name', schema: {} } } },
      /'response_format.json_schema.name' must be 1 to 64/,
      'response_format.json_schema.name',
    );
    rejects(
      { response_format: { type: 'json_schema', json_schema: { name: 'x', schema: 'nope' } } },
      /'response_format.json_schema.schema' must be a JSON Schema object/,
      'response_format.json_schema.schema',
    );
    rejects({ guided_regex: '' }, /'guided_regex' must be a non-empty string/, 'guided_regex');
    rejects(
      { response_format: { type: 'json_object' }, guided_regex: 'a+' },
      /Send one of/,
      'response_format',
    );
    rejects({ temperature: 3 }, /'temperature' must be >= 0 and <= 2, got 3/, 'temperature');
    rejects({ top_p: 0 }, /'top_p' must be > 0 and <= 1/, 'top_p');
    rejects({ seed: 1.5 }, /'seed' must be an integer/, 'seed');
    rejects({ seed: -1 }, /'seed' must be >= 0/, 'seed');
    rejects({ max_tokens: 0 }, /'max_tokens' must be >= 1/, 'max_tokens');
    rejects({ max_tokens: 5, max_completion_tokens: 6 }, /disagree/);
    rejects({ max_num: 41 }, /'max_num' must be >= 1 and <= 40/, 'max_num');
    rejects({ stop: ['a', ''] }, /'stop' must be a non-empty string or an array/, 'stop');
    rejects({ stop: 5 }, /'stop'/, 'stop');
    rejects({ stream: 'yes' }, /'stream' must be a boolean/, 'stream');
    rejects({ stream_options: { include_usage: true } }, /only allowed when 'stream' is true/);
  });
});
