import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { Metadata, status } from '@grpc/grpc-js';
import {
  DeadlineExceededError,
  InternalError,
  InvalidArgumentError,
  ResourceExhaustedError,
  UnavailableError,
} from '@internvl/errors';
import { hopError, withPrefix } from './hop-error';
import type { TierIdentity } from './tier';

const vision: TierIdentity = { name: 'vision', address: '127.0.0.1:50052' };

function serviceError(code: status, details: string) {
  return Object.assign(new Error(`${code} ${details}`), { code, details, metadata: new Metadata() });
}

test('UNAVAILABLE and DEADLINE_EXCEEDED name the tier, never its address; the log gets it (issue #13)', () => {
  const logged: unknown[] = [];
  const log = { warn: (fields: unknown) => logged.push(fields) } as unknown as TierIdentity['log'];
  const tier: TierIdentity = { ...vision, log };
  const down = hopError(
    serviceError(
      status.UNAVAILABLE,
      'No connection established. Last error: connect ECONNREFUSED 127.0.0.1:50052',
    ),
    tier,
  );
  assert.ok(down instanceof UnavailableError);
  assert.equal(down.message, 'the vision tier is unavailable');
  const late = hopError(
    serviceError(status.DEADLINE_EXCEEDED, 'Deadline exceeded after 1.001s,remote_addr=127.0.0.1:50052'),
    tier,
    'image 1 (message 1, part 1)',
  );
  assert.ok(late instanceof DeadlineExceededError);
  assert.equal(late.message, 'the vision tier did not answer in time');
  assert.equal(logged.length, 2);
  assert.match(JSON.stringify(logged), /127\.0\.0\.1:50052/);
});

test('a complaint about an image names it and keeps its code; a cancel stays as it is', () => {
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
  const cancelled = serviceError(status.CANCELLED, 'Cancelled on client');
  assert.equal(hopError(cancelled, vision, label), cancelled);
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
