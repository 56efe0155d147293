import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { connectivityState, status, type Client } from '@grpc/grpc-js';
import { isReplicaFailure, streamWithFailover, withFailover } from './failover';
import { ReplicaPool } from './replica-pool';
import { rendezvousOrder } from './rendezvous';
import { replicaSource } from './replica-targets';

const grpcError = (code: status) => Object.assign(new Error(status[code]), { code });

test('rendezvousOrder: stable per key, spread evenly, and removing a replica moves only its keys', () => {
  const three = ['10.0.0.1:1', '10.0.0.2:1', '10.0.0.3:1'];
  const keys = Array.from({ length: 3000 }, (_, i) => `key-${i}`);
  const first = (replicas: string[]) => keys.map((k) => rendezvousOrder(k, replicas)[0]!);
  const before = first(three);
  assert.deepEqual(first([...three].reverse()), before, 'the order of the list does not matter');
  for (const r of three) {
    const share = before.filter((t) => t === r).length / keys.length;
    assert.ok(share > 0.28 && share < 0.39, `${r} gets ${share}`);
  }
  const after = first(three.slice(0, 2));
  keys.forEach((_, i) => {
    if (before[i] !== three[2]) assert.equal(after[i], before[i], 'a key of a remaining replica stays');
  });
});

test('replicaSource: lists are replicas, one host name is resolved, IPs and other schemes are one replica', () => {
  assert.deepEqual(replicaSource(['10.0.0.1:5', '10.0.0.2:5']), {
    kind: 'static',
    targets: ['10.0.0.1:5', '10.0.0.2:5'],
  });
  assert.deepEqual(replicaSource(['dns:///vision.internvl.svc.cluster.local:50052']), {
    kind: 'dns',
    host: 'vision.internvl.svc.cluster.local',
    port: '50052',
  });
  assert.deepEqual(replicaSource(['vision:50052']), { kind: 'dns', host: 'vision', port: '50052' });
  for (const one of [
    '127.0.0.1:50052',
    '[::1]:50052',
    'localhost:50052',
    'unix:/tmp/v.sock',
    'ipv4:1.2.3.4:5',
  ])
    assert.deepEqual(replicaSource([one]), { kind: 'static', targets: [one] }, one);
});

class FakeClient {
  closed = false;
  state = connectivityState.READY;
  constructor(
    readonly target: string,
    readonly dnsName?: string,
  ) {}
  getChannel() {
    return { getConnectivityState: () => this.state };
  }
  close() {
    this.closed = true;
  }
}

function pool(addresses: string[], resolve?: (host: string) => Promise<string[]>) {
  const made: FakeClient[] = [];
  const p = new ReplicaPool<Client>({
    addresses,
    createClient: (target, dnsName) => {
      const c = new FakeClient(target, dnsName);
      made.push(c);
      return c as unknown as Client;
    },
    refreshMs: 60_000,
    resolve,
  });
  return { pool: p, made };
}

test('ReplicaPool: keyed calls rank the same replica first; unkeyed ones go in turn; failing replicas go last', () => {
  const { pool: p, made } = pool(['10.0.0.1:1', '10.0.0.2:1', '10.0.0.3:1']);
  const firstFor = (key: string) => p.candidates(key)[0]!.target;
  assert.equal(firstFor('image-a'), rendezvousOrder('image-a', p.targets)[0]);
  assert.equal(firstFor('image-a'), firstFor('image-a'));
  const turns = [0, 1, 2, 3].map(() => p.candidates()[0]!.target);
  assert.deepEqual(turns.slice(0, 3).sort(), p.targets);
  assert.equal(turns[3], turns[0]);
  const preferred = made.find((c) => c.target === firstFor('image-a'))!;
  preferred.state = connectivityState.TRANSIENT_FAILURE;
  const order = p.candidates('image-a').map((r) => r.target);
  assert.notEqual(order[0], preferred.target);
  assert.equal(order[2], preferred.target, 'a failing replica is tried last');
  p.close();
  assert.ok(made.every((c) => c.closed));
});

test('ReplicaPool: a DNS name becomes one replica per address, following the records as they change', async () => {
  let records = ['10.1.0.1', '10.1.0.2'];
  const { pool: p, made } = pool(['dns:///llm.internvl.svc:50053'], async () => records);
  await p.refresh();
  assert.deepEqual(p.targets, ['10.1.0.1:50053', '10.1.0.2:50053']);
  assert.equal(
    made.at(-1)!.dnsName,
    'llm.internvl.svc',
    'a resolved replica knows the name its certificate carries',
  );
  records = ['10.1.0.2', '10.1.0.3'];
  await p.refresh();
  assert.deepEqual(p.targets, ['10.1.0.2:50053', '10.1.0.3:50053']);
  assert.ok(made.find((c) => c.target === '10.1.0.1:50053')!.closed, 'a replica gone from DNS is closed');
  assert.equal(
    made.filter((c) => c.target === '10.1.0.2:50053').length,
    1,
    'a kept replica keeps its channel',
  );
  records = [];
  await p.refresh();
  assert.deepEqual(p.targets, ['10.1.0.2:50053', '10.1.0.3:50053'], 'an empty answer keeps the replicas');
  p.close();
});

test('withFailover retries a down or full replica once on the next one, and nothing else', async () => {
  const tried: string[] = [];
  const answer = await withFailover(['a', 'b', 'c'], async (r) => {
    tried.push(r);
    if (r === 'a') throw grpcError(status.UNAVAILABLE);
    return `from ${r}`;
  });
  assert.equal(answer, 'from b');
  assert.deepEqual(tried, ['a', 'b']);
  await assert.rejects(
    withFailover(['a', 'b', 'c'], async () => {
      throw grpcError(status.RESOURCE_EXHAUSTED);
    }),
    (err: unknown) => isReplicaFailure(err),
    'two attempts, then the error',
  );
  let calls = 0;
  await assert.rejects(
    withFailover(['a', 'b'], async () => {
      calls += 1;
      throw grpcError(status.INVALID_ARGUMENT);
    }),
  );
  assert.equal(calls, 1, 'a bad request is not retried');
});

test('streamWithFailover restarts before the first committing item and never after it', async () => {
  async function* dies(after: string[]): AsyncGenerator<string> {
    yield* after;
    throw grpcError(status.UNAVAILABLE);
  }
  async function* answers(): AsyncGenerator<string> {
    yield* ['prompt', 'tok1', 'tok2'];
  }
  const collect = async (it: AsyncIterable<string>) => {
    const out: string[] = [];
    for await (const x of it) out.push(x);
    return out;
  };
  const commits = (x: string) => x !== 'prompt';
  assert.deepEqual(
    await collect(
      streamWithFailover(['dead', 'live'], (r) => (r === 'dead' ? dies(['prompt']) : answers()), commits),
    ),
    ['prompt', 'tok1', 'tok2'],
    'the held prompt of the dead replica is dropped; the live one answers whole',
  );
  const seen: string[] = [];
  await assert.rejects(
    (async () => {
      for await (const x of streamWithFailover(
        ['dead', 'live'],
        (r) => (r === 'dead' ? dies(['prompt', 'tok1']) : answers()),
        commits,
      ))
        seen.push(x);
    })(),
    (err: unknown) => isReplicaFailure(err),
  );
  assert.deepEqual(seen, ['prompt', 'tok1'], 'once a token went out the stream ends with the error');
});
