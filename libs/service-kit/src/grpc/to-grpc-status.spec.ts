import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { status } from '@grpc/grpc-js';
import * as errors from '@internvl/errors';
import { toGrpcStatus } from './to-grpc-status';

test('each domain error kind maps to its gRPC status with its message', () => {
  const cases: Array<[errors.DomainError, status]> = [
    [new errors.InvalidArgumentError('bad'), status.INVALID_ARGUMENT],
    [new errors.ResourceExhaustedError('full'), status.RESOURCE_EXHAUSTED],
    [new errors.OutOfRangeError('long'), status.OUT_OF_RANGE],
    [new errors.NotFoundError('miss'), status.NOT_FOUND],
    [new errors.UnavailableError('down'), status.UNAVAILABLE],
    [new errors.DeadlineExceededError('late'), status.DEADLINE_EXCEEDED],
    [new errors.CancelledError('gone'), status.CANCELLED],
    [new errors.FailedPreconditionError('state'), status.FAILED_PRECONDITION],
    [new errors.UnimplementedError('later'), status.UNIMPLEMENTED],
    [new errors.UnauthenticatedError('who'), status.UNAUTHENTICATED],
  ];
  for (const [err, code] of cases) {
    const mapped = toGrpcStatus(err);
    assert.equal(mapped.status.code, code, err.name);
    assert.equal(mapped.status.details, err.message);
    assert.equal(mapped.unexpected, false);
  }
});

test('unknown errors and internal errors become INTERNAL with no detail leaked', () => {
  for (const err of [
    new TypeError('x is undefined at /src/secret.ts:12'),
    new errors.InternalError('invariant broken'),
    'a string',
  ]) {
    const mapped = toGrpcStatus(err);
    assert.equal(mapped.status.code, status.INTERNAL);
    assert.doesNotMatch(mapped.status.details, /secret|invariant|string/);
    assert.equal(mapped.unexpected, true);
  }
});

test('a status relayed from a downstream tier keeps its code and details', () => {
  const mapped = toGrpcStatus(
    Object.assign(new Error('14 UNAVAILABLE'), { code: status.UNAVAILABLE, details: 'vision is down' }),
  );
  assert.equal(mapped.status.code, status.UNAVAILABLE);
  assert.equal(mapped.status.details, 'vision is down');
});
