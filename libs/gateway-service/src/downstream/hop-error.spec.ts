import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { Metadata, status } from '@grpc/grpc-js';
import {
  InternalError,
  InvalidArgumentError,
  ResourceExhaustedError,
  UnavailableError,
} from '@internvl/errors';
import { hopError, withPrefix } from './hop-error';
import type { Tier } from './tier';

const vision: Tier<unknown> = { name: 'vision', address: '127.0.0.1:50052', client: undefined };

function serviceError(code: status, details: string) {
  return Object.assign(new Error(`${code} ${details}`), { code, details, metadata: new Metadata() });
}

test('UNAVAILABLE names the tier and its address', () => {
  const err = hopError(serviceError(status.UNAVAILABLE, 'connect ECONNREFUSED'), vision);
  assert.ok(err instanceof UnavailableError);
  assert.equal(err.message, 'vision tier at 127.0.0.1:50052 is unavailable: connect ECONNREFUSED');
});

test('a complaint about an image names it and keeps its code; cancel and deadline stay as they are', () => {
  const label = 'image 2 (message 1, part 3)';
  const invalid = hopError(serviceError(status.INVALID_ARGUMENT, 'cannot decode'), vision, label);
  assert.ok(invalid instanceof InvalidArgumentError);
  assert.equal(invalid.message, 'image 2 (message 1, part 3): cannot decode');
  const full = hopError(serviceError(status.RESOURCE_EXHAUSTED, 'queue full'), vision, label) as {
    code: status;
    details: string;
  };
  assert.equal(full.code, status.RESOURCE_EXHAUSTED);
  assert.equal(full.details, 'image 2 (message 1, part 3): queue full');
  const late = serviceError(status.DEADLINE_EXCEEDED, 'deadline');
  assert.equal(hopError(late, vision, label), late);
  const plain = serviceError(status.OUT_OF_RANGE, 'too long');
  assert.equal(hopError(plain, vision), plain);
});

test('withPrefix keeps the kind of domain errors and leaves unexpected errors alone', () => {
  const prefixed = withPrefix(new ResourceExhaustedError('too many'), 'input 2 of 3');
  assert.ok(prefixed instanceof ResourceExhaustedError);
  assert.equal(prefixed.message, 'input 2 of 3: too many');
  const bug = new TypeError('x is undefined');
  assert.equal(withPrefix(bug, 'input 1 of 1'), bug);
  const internal = new InternalError('broken');
  assert.equal(withPrefix(internal, 'input 1 of 1'), internal);
});
