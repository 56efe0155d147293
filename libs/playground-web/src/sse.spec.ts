import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { SseParser } from './sse';

test('events split across chunks anywhere come out whole, in order', () => {
  const stream = 'data: {"a":1}\n\n: comment\n\ndata: line1\ndata: line2\n\r\ndata: [DONE]\n\n';
  for (const size of [1, 2, 3, 7, stream.length]) {
    const parser = new SseParser();
    const events: string[] = [];
    for (let i = 0; i < stream.length; i += size) events.push(...parser.push(stream.slice(i, i + size)));
    assert.deepEqual(events, ['{"a":1}', 'line1\nline2', '[DONE]'], `chunks of ${size}`);
  }
});

test('CRLF streams and data: without a space', () => {
  const parser = new SseParser();
  assert.deepEqual(parser.push('data:x\r\n\r\ndata: y\r\n'), ['x']);
  assert.deepEqual(parser.push('\r\n'), ['y']);
});
