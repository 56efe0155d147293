import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Metadata } from '@grpc/grpc-js';
import { UnauthenticatedError } from '@internvl/errors';
import { ConfigError } from '@internvl/service-kit';
import { checkBearer, readApiKeys, requireApiKey } from './api-keys';

test('checkBearer: no keys = open; otherwise a Bearer header with one of the keys', () => {
  assert.equal(checkBearer(undefined, []), 'ok');
  const keys = ['k-one', 'k-two'];
  assert.equal(checkBearer('Bearer k-two', keys), 'ok');
  assert.equal(checkBearer('bearer k-one', keys), 'ok');
  assert.equal(checkBearer(undefined, keys), 'missing');
  assert.equal(checkBearer('k-one', keys), 'missing');
  assert.equal(checkBearer('Basic k-one', keys), 'missing');
  assert.equal(checkBearer('Bearer k-three', keys), 'invalid');
  assert.equal(checkBearer('Bearer k-on', keys), 'invalid');
});

test('requireApiKey answers UNAUTHENTICATED for a missing and for a wrong key', () => {
  const metadata = (value?: string) => {
    const m = new Metadata();
    if (value) m.set('authorization', value);
    return m;
  };
  requireApiKey(metadata(), []);
  requireApiKey(metadata('Bearer s3cret'), ['s3cret']);
  assert.throws(() => requireApiKey(metadata(), ['s3cret']), UnauthenticatedError);
  assert.throws(() => requireApiKey(metadata('Bearer nope'), ['s3cret']), /invalid API key/);
});

test('readApiKeys merges the list and the file (one per line, comments and blanks skipped)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gateway-keys-'));
  try {
    const file = join(dir, 'keys.txt');
    writeFileSync(file, '# team keys\nalpha\n\n  beta  \r\nalpha\n');
    assert.deepEqual(readApiKeys(['inline', 'alpha'], file), ['inline', 'alpha', 'beta']);
    assert.deepEqual(readApiKeys([], ''), []);
    assert.throws(() => readApiKeys([], join(dir, 'missing.txt')), ConfigError);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
