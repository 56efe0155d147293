import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { status } from '@grpc/grpc-js';
import {
  CancelledError,
  DeadlineExceededError,
  FailedPreconditionError,
  InternalError,
  InvalidArgumentError,
  NotFoundError,
  OutOfRangeError,
  LimitExceededError,
  ResourceExhaustedError,
  UnauthenticatedError,
  UnavailableError,
  UnimplementedError,
} from '@internvl/errors';
import { bodyTooLarge, InvalidRequestError, methodNotAllowed, toOpenAiError } from './openai-errors';

test('typed domain errors map to HTTP status and OpenAI error types, keeping their message', () => {
  const cases: [Error, number, string, string | null][] = [
    [new InvalidArgumentError('bad'), 400, 'invalid_request_error', null],
    [new OutOfRangeError('too long for the context'), 400, 'invalid_request_error', null],
    [new FailedPreconditionError('not ready'), 400, 'invalid_request_error', null],
    [new UnauthenticatedError('who?'), 401, 'invalid_request_error', 'invalid_api_key'],
    [new NotFoundError('no such key'), 404, 'invalid_request_error', 'not_found'],
    // Over a limit is permanent (400, the SDKs do not retry it); only a full queue is 429.
    [
      new LimitExceededError('9 images, over the limit of 8 (max_images)'),
      400,
      'invalid_request_error',
      null,
    ],
    [new ResourceExhaustedError('queue full'), 429, 'rate_limit_exceeded', 'rate_limit_exceeded'],
    [new CancelledError('gone'), 499, 'invalid_request_error', 'cancelled'],
    [new UnimplementedError('later'), 501, 'invalid_request_error', 'unimplemented'],
    [new UnavailableError('llm down'), 503, 'server_error', 'service_unavailable'],
    [new DeadlineExceededError('late'), 504, 'timeout_error', 'deadline_exceeded'],
  ];
  for (const [err, httpStatus, type, code] of cases) {
    const mapped = toOpenAiError(err);
    assert.equal(mapped.status, httpStatus, err.name);
    assert.deepEqual(mapped.body, { error: { message: err.message, type, param: null, code } });
    assert.equal(mapped.unexpected, false);
  }
});

test('gRPC errors relayed from a downstream tier map by their code', () => {
  const grpc = (code: status, details: string) => Object.assign(new Error(details), { code, details });
  assert.equal(toOpenAiError(grpc(status.PERMISSION_DENIED, 'no')).status, 403);
  assert.equal(toOpenAiError(grpc(status.RESOURCE_EXHAUSTED, 'busy')).status, 429);
  assert.equal(toOpenAiError(grpc(status.UNAVAILABLE, 'down')).status, 503);
  const unknown = toOpenAiError(grpc(status.DATA_LOSS, 'lost'));
  assert.equal(unknown.status, 500);
  assert.equal(unknown.body.error.type, 'server_error');
});

test('bugs become a 500 with a generic text; the request field of a bad request is its param', () => {
  for (const err of [new TypeError('x is undefined'), new InternalError('invariant broken'), 'a string']) {
    const mapped = toOpenAiError(err);
    assert.equal(mapped.status, 500);
    assert.equal(mapped.unexpected, true);
    assert.doesNotMatch(mapped.body.error.message, /undefined|invariant/);
  }
  assert.equal(toOpenAiError(new InvalidRequestError('bad seed', 'seed')).body.error.param, 'seed');
});

test('HTTP-layer errors keep their status and headers', () => {
  const tooBig = toOpenAiError(bodyTooLarge(100));
  assert.equal(tooBig.status, 413);
  assert.match(tooBig.body.error.message, /limit of 100 bytes/);
  const wrongMethod = toOpenAiError(methodNotAllowed('GET', '/v1/chat/completions', ['POST']));
  assert.equal(wrongMethod.status, 405);
  assert.deepEqual(wrongMethod.headers, { allow: 'POST' });
});
