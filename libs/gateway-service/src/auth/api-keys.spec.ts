import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Metadata } from '@grpc/grpc-js';
import { UnauthenticatedError } from '@internvl/errors';
import { ConfigError } from '@internvl/service-kit';
import { apiKeyRefusal, checkBearer, readApiKeys, requireApiKey } from './api-keys';

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

test('readApiKeys refuses a key that could never match, naming the option and position but never the key', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gateway-keys-'));
  try {
    assert.throws(
      () => readApiKeys(['good', 'bad key'], ''),
      (err: Error) =>
        err instanceof ConfigError &&
        /--api-keys \(INTERNVL_GATEWAY_API_KEYS\): key 2 /.test(err.message) &&
        /whitespace/.test(err.message) &&
        !err.message.includes('bad key'),
    );
    assert.throws(() => readApiKeys(['tab\tkey'], ''), /--api-keys .*key 1 /);
    assert.throws(() => readApiKeys(['clé'], ''), /--api-keys .*key 1 .*printable ASCII/);
    const file = join(dir, 'keys.txt');
    writeFileSync(file, '# team keys\nalpha\nsecret with space\n');
    assert.throws(
      () => readApiKeys([], file),
      (err: Error) =>
        err instanceof ConfigError &&
        err.message.includes(`--api-keys-file (INTERNVL_GATEWAY_API_KEYS_FILE) ${file}: line 3 `) &&
        !err.message.includes('secret'),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('checkBearer: one parsing rule for both transports (value trimmed, then Bearer, blanks, the key)', () => {
  const keys = ['k-one'];
  assert.equal(checkBearer('  Bearer k-one \t', keys), 'ok');
  assert.equal(checkBearer('Bearer \t k-one', keys), 'ok');
  assert.equal(checkBearer('Bearer k-one extra', keys), 'missing');
  assert.equal(checkBearer('Bearer', keys), 'missing');
});

test('requireApiKey and the HTTP API word a refusal the same way', () => {
  const metadata = new Metadata();
  assert.throws(
    () => requireApiKey(metadata, ['s3cret']),
    (err: Error) => err.message === apiKeyRefusal('missing'),
  );
  assert.match(apiKeyRefusal('missing'), /authorization: Bearer <key>/);
  assert.match(apiKeyRefusal('missing'), /spaces/);
  assert.equal(apiKeyRefusal('invalid'), 'invalid API key');
});
