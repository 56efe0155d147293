import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import {
  CancelledError,
  DeadlineExceededError,
  InternalError,
  InvalidArgumentError,
  NotFoundError,
  isDomainError,
} from './domain-error';
import { abortReasonToError, throwIfAborted } from './abort';
import { domainErrorFromKind } from './from-kind';

test('typed errors carry their kind and class name', () => {
  const err = new InvalidArgumentError('max_tiles must be <= 40');
  assert.equal(err.kind, 'invalid_argument');
  assert.equal(err.name, 'InvalidArgumentError');
  assert.ok(isDomainError(err));
  assert.ok(!isDomainError(new Error('plain')));
});

test('domainErrorFromKind rebuilds the same class across a thread boundary; unknown kinds are internal', () => {
  const rebuilt = domainErrorFromKind('not_found', 'no such cache key');
  assert.ok(rebuilt instanceof NotFoundError);
  assert.equal(rebuilt.message, 'no such cache key');
  assert.ok(domainErrorFromKind('bogus', 'x') instanceof InternalError);
  assert.ok(domainErrorFromKind(undefined, 'x') instanceof InternalError);
});

test('an aborted signal becomes CANCELLED, a timeout DEADLINE_EXCEEDED, a typed reason stays itself', () => {
  const controller = new AbortController();
  throwIfAborted(controller.signal);
  controller.abort();
  assert.throws(() => throwIfAborted(controller.signal), CancelledError);
  assert.ok(abortReasonToError(new DOMException('t', 'TimeoutError')) instanceof DeadlineExceededError);
  const typed = new DeadlineExceededError('late');
  assert.equal(abortReasonToError(typed), typed);
});
