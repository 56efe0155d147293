import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import { CancelledError } from '@internvl/errors';
import { EmbeddingCache } from './embedding-cache';

const value = (name: string, byteLength: number) => ({ name, byteLength });

/** A computation the test settles by hand, counting how often it was started. */
function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('EmbeddingCache', () => {
  test('is bounded in bytes and evicts the least recently used entries', () => {
    const cache = new EmbeddingCache<{ name: string; byteLength: number }>(100);
    cache.set('a', value('a', 40));
    cache.set('b', value('b', 40));
    assert.equal(cache.get('a')?.name, 'a', 'a is now the most recently used');
    cache.set('c', value('c', 40));
    assert.equal(cache.get('b'), undefined, 'b was the least recently used');
    assert.deepEqual([cache.get('a')?.name, cache.get('c')?.name], ['a', 'c']);
    assert.equal(cache.byteSize, 80);
    cache.set('huge', value('huge', 101));
    assert.equal(cache.get('huge'), undefined, 'larger than the cache: not kept');
    assert.equal(cache.size, 2);
    cache.set('a', value('a2', 10));
    assert.equal(cache.byteSize, 50, 'replacing a key frees its old bytes');
  });

  test('resolve: a hit computes nothing; a miss without compute is undefined; a computed value is kept', async () => {
    const cache = new EmbeddingCache<{ name: string; byteLength: number }>(1000);
    assert.equal(await cache.resolve('k', undefined), undefined);
    let computed = 0;
    const compute = async () => value(`v${++computed}`, 10);
    assert.deepEqual(await cache.resolve('k', compute), { value: value('v1', 10), source: 'computed' });
    assert.deepEqual(await cache.resolve('k', compute), { value: value('v1', 10), source: 'cache' });
    assert.equal(computed, 1);
  });

  test('concurrent callers of one key share the first computation, even a caller with only the key', async () => {
    const cache = new EmbeddingCache<{ name: string; byteLength: number }>(0); // keeps nothing, still coalesces
    const first = deferred<{ name: string; byteLength: number }>();
    let started = 0;
    const compute = () => {
      started++;
      return first.promise;
    };
    const a = cache.resolve('k', compute);
    const b = cache.resolve('k', compute);
    const probe = cache.resolve('k', undefined);
    first.resolve(value('shared', 10));
    assert.deepEqual(await a, { value: value('shared', 10), source: 'computed' });
    assert.deepEqual(await b, { value: value('shared', 10), source: 'shared' });
    assert.deepEqual(await probe, { value: value('shared', 10), source: 'shared' });
    assert.equal(started, 1);
    assert.equal(await cache.resolve('k', undefined), undefined, 'cache_bytes 0 keeps nothing');
  });

  test('when the owner is cancelled, a waiter with pixels computes its own; a key-only waiter never computes', async () => {
    const cache = new EmbeddingCache<{ name: string; byteLength: number }>(1000);
    const owner = deferred<{ name: string; byteLength: number }>();
    const a = cache.resolve('k', () => owner.promise);
    const b = cache.resolve('k', async () => value('own', 10));
    const probe = cache.resolve('k', undefined);
    owner.reject(new CancelledError('owner cancelled'));
    await assert.rejects(a, CancelledError);
    assert.deepEqual(await b, { value: value('own', 10), source: 'computed' });
    // The probe looks again after the failure and finds b's run in flight.
    assert.deepEqual(await probe, { value: value('own', 10), source: 'shared' });
  });

  test("a waiter's own cancellation ends its wait at once without touching the shared computation", async () => {
    const cache = new EmbeddingCache<{ name: string; byteLength: number }>(1000);
    const owner = deferred<{ name: string; byteLength: number }>();
    const a = cache.resolve('k', () => owner.promise);
    const controller = new AbortController();
    const waiter = cache.resolve('k', undefined, controller.signal);
    controller.abort(new CancelledError('waiter gone'));
    await assert.rejects(waiter, /waiter gone/);
    owner.resolve(value('v', 10));
    assert.equal((await a)?.source, 'computed');
    assert.equal(cache.get('k')?.name, 'v');
  });
});
