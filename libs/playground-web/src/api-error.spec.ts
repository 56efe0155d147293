import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { apiErrorFromBody, apiErrorFromEvent } from './api-error';

test("an OpenAI error body gives the API's message, code and param", () => {
  const err = apiErrorFromBody(
    400,
    'Bad Request',
    JSON.stringify({
      error: {
        message: "'temperature' must be >= 0 and <= 2, got 3",
        type: 'invalid_request_error',
        param: 'temperature',
        code: null,
      },
    }),
  );
  assert.equal(err.status, 400);
  assert.equal(
    err.describe(),
    "400 invalid_request_error: 'temperature' must be >= 0 and <= 2, got 3 (temperature)",
  );
  const key = apiErrorFromBody(
    401,
    '',
    '{"error":{"message":"no key","type":"invalid_request_error","code":"invalid_api_key"}}',
  );
  assert.equal(key.describe(), '401 invalid_api_key: no key');
});

test('a body without the OpenAI shape falls back to its text or the status', () => {
  assert.equal(apiErrorFromBody(502, 'Bad Gateway', '').describe(), '502: Bad Gateway');
  assert.equal(apiErrorFromBody(503, '', 'upstream down').describe(), '503: upstream down');
  assert.equal(apiErrorFromBody(500, '', '').message, 'HTTP 500');
});

test('an error event in a stream', () => {
  const err = apiErrorFromEvent({
    error: { message: 'the llm tier did not answer in time', type: 'timeout' },
  });
  assert.equal(err?.describe(), 'timeout: the llm tier did not answer in time');
  assert.equal(apiErrorFromEvent({ choices: [] }), undefined);
  assert.equal(apiErrorFromEvent(null), undefined);
});
