import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { createStopStringMatcher, createTokenStopper } from './stop-criteria';

function run(stops: string[], deltas: string[]) {
  const matcher = createStopStringMatcher(stops);
  const emitted: string[] = [];
  let stopped = false;
  for (const delta of deltas) {
    const result = matcher.push(delta);
    emitted.push(result.emit);
    stopped = result.stopped;
  }
  if (!stopped) emitted.push(matcher.flush());
  return { emitted, stopped };
}

test('a stop string split across deltas never leaks', () => {
  assert.deepEqual(run(['<|end|>'], ['Hi <|e', 'nd|>more']), { emitted: ['Hi ', ''], stopped: true });
  assert.deepEqual(run(['STOP'], ['go ST', 'OP']), { emitted: ['go ', ''], stopped: true });
  assert.deepEqual(run(['<|end|>'], ['<', '|en', 'd|>', 'x']), {
    emitted: ['', '', '', ''],
    stopped: true,
  });
});

test('every split of the text stops at the stop string and emits exactly what precedes it', () => {
  const text = 'Say <|end STOP later <|end|> never';
  for (let i = 0; i <= text.length; i++) {
    for (let j = i; j <= text.length; j++) {
      const { emitted, stopped } = run(
        ['<|end|>', 'STOP'],
        [text.slice(0, i), text.slice(i, j), text.slice(j)],
      );
      assert.equal(stopped, true);
      assert.equal(emitted.join(''), 'Say <|end ', `split at ${i}, ${j}`);
    }
  }
});

test('a held-back partial match is released when it does not complete, or on flush', () => {
  const matcher = createStopStringMatcher(['<|end|>']);
  assert.deepEqual(matcher.push('a <|'), { emit: 'a ', stopped: false });
  assert.deepEqual(matcher.push('x'), { emit: '<|x', stopped: false });
  assert.deepEqual(matcher.push('b <|en'), { emit: 'b ', stopped: false });
  assert.equal(matcher.flush(), '<|en');
  assert.equal(matcher.flush(), '');
  assert.deepEqual(run([], ['pass', ' through']), { emitted: ['pass', ' through', ''], stopped: false });
});

test('the earliest of several stop strings wins', () => {
  assert.deepEqual(run(['world', 'lo w'], ['hello world']), { emitted: ['hel'], stopped: true });
  assert.throws(() => createStopStringMatcher(['ok', '']), /non-empty/);
});

test('token stopper: stop ids, then max_new_tokens', () => {
  const stopper = createTokenStopper({ stopTokenIds: [2, 32007, 2], maxNewTokens: 3 });
  assert.deepEqual([...stopper.stopTokenIds], [2, 32007]);
  assert.equal(stopper.check(10, 1), undefined);
  assert.equal(stopper.check(32007, 2), 'stop');
  assert.equal(stopper.check(10, 3), 'length');
  assert.equal(stopper.check(2, 3), 'stop', 'a stop id wins over length');
  assert.throws(() => createTokenStopper({ stopTokenIds: [], maxNewTokens: 0 }), /maxNewTokens must be/);
  assert.throws(() => createTokenStopper({ stopTokenIds: [-1], maxNewTokens: 1 }), /stopTokenIds/);
});
