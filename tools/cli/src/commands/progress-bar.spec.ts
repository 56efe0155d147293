import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatDuration, ProgressRenderer, type ProgressEvent, type ProgressStream } from './progress-bar';

class FakeStream implements ProgressStream {
  readonly chunks: string[] = [];
  constructor(
    readonly isTTY: boolean,
    readonly columns?: number,
  ) {}
  write(chunk: string): boolean {
    this.chunks.push(chunk);
    return true;
  }
  get text(): string {
    return this.chunks.join('');
  }
}

/** A clock the test moves: `advance(ms)` then the next event happens at that time. */
function fakeClock() {
  let now = 1_000_000;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

/** read (1 step), then decoder: 4 layers + lm_head, each layer 95 s apart. */
function feed(renderer: ProgressRenderer, clock: ReturnType<typeof fakeClock>): void {
  const events: Array<[number, ProgressEvent]> = [
    [0, { stage: 'read', done: 0, total: 1, message: 'reading ckpt' }],
    [300, { stage: 'read', done: 1, total: 1, message: 'Phi3ForCausalLM, 400 tensors' }],
    [0, { stage: 'decoder', done: 0, total: 5, message: 'building decoder.onnx (4 layers, int4)' }],
    ...[1, 2, 3, 4].map(
      (i) =>
        [95_000, { stage: 'decoder', done: i, total: 5, message: `layer ${i}/4` }] as [number, ProgressEvent],
    ),
    [40_000, { stage: 'decoder', done: 5, total: 5, message: 'lm_head, wrote decoder.onnx' }],
  ];
  for (const [ms, event] of events) {
    clock.advance(ms);
    renderer.update(event);
  }
}

describe('ProgressRenderer', () => {
  it('not a TTY: one plain line per event with the percentage and an ETA, no control characters', () => {
    const clock = fakeClock();
    const plain = new FakeStream(false);
    feed(new ProgressRenderer(plain, clock.now), clock);
    assert.deepEqual(plain.text.split('\n'), [
      'read: reading ckpt',
      'read: Phi3ForCausalLM, 400 tensors (done in 0.3s)',
      'decoder: building decoder.onnx (4 layers, int4)',
      // 95 s a layer, 4 steps left after the first: 380 s.
      'decoder: layer 1/4 (20%), eta 6m20s',
      'decoder: layer 2/4 (40%), eta 4m45s',
      'decoder: layer 3/4 (60%), eta 3m10s',
      'decoder: layer 4/4 (80%), eta 1m35s',
      'decoder: lm_head, wrote decoder.onnx (done in 7m00s)',
      '',
    ]);
    assert.ok(!plain.text.includes('\r') && !plain.text.includes('\x1b'), 'no control characters');
  });

  it('a TTY (80 columns): one line per stage redrawn in place with a bar, percentage and ETA', () => {
    const clock = fakeClock();
    const tty = new FakeStream(true, 80);
    feed(new ProgressRenderer(tty, clock.now), clock);
    // Every write redraws the line: carriage return + clear line, never wider than 79 columns.
    for (const chunk of tty.chunks) {
      assert.ok(chunk.startsWith('\r\x1b[2K'), JSON.stringify(chunk));
      assert.ok(chunk.replace('\r\x1b[2K', '').replace('\n', '').length <= 79, JSON.stringify(chunk));
    }
    // A newline only where a stage completes: one finished line per stage.
    const lines = tty.text.split('\n');
    assert.equal(lines.length, 3);
    assert.equal(lines[2], '');
    const shown = (chunk: string) => chunk.replace('\r\x1b[2K', '');
    assert.equal(
      shown(tty.chunks[3]!),
      'decoder   [###-------------]  20%  layer 1/4  eta 6m20s',
      'the first layer: bar, percentage, message and ETA',
    );
    assert.equal(shown(tty.chunks[5]!), 'decoder   [##########------]  60%  layer 3/4  eta 3m10s');
    assert.equal(
      shown(tty.chunks.at(-1)!),
      'decoder   [################] 100%  lm_head, wrote decoder.onnx  done in 7m00s\n',
    );
    assert.equal(
      shown(tty.chunks[1]!),
      'read      [################] 100%  Phi3ForCausalLM, 400 tensors  done in 0.3s\n',
    );
  });

  it('a TTY: a long message is cut to the width, keeping the bar and the ETA', () => {
    const clock = fakeClock();
    const tty = new FakeStream(true, 60);
    const renderer = new ProgressRenderer(tty, clock.now);
    renderer.update({ stage: 'manifest', done: 0, total: 2, message: 'x' });
    clock.advance(2000);
    renderer.update({ stage: 'manifest', done: 1, total: 2, message: `wrote /${'very-long/'.repeat(10)}` });
    const line = tty.chunks.at(-1)!.replace('\r\x1b[2K', '');
    assert.equal(line.length, 59);
    assert.ok(line.startsWith('manifest  [########--------]  50%  wrote /very-'), line);
    assert.ok(line.endsWith('…  eta 2.0s'), line);
  });

  it('finish() ends a line a stage left open (an error mid-stage); nothing when none is open', () => {
    const tty = new FakeStream(true, 80);
    const renderer = new ProgressRenderer(tty, fakeClock().now);
    renderer.update({ stage: 'decoder', done: 1, total: 3, message: 'layer 1/2' });
    renderer.finish();
    assert.ok(tty.text.endsWith('\n'));
    const count = tty.chunks.length;
    renderer.finish();
    assert.equal(tty.chunks.length, count);
    const plain = new FakeStream(false);
    new ProgressRenderer(plain).finish();
    assert.equal(plain.text, '');
  });

  it('formatDuration', () => {
    assert.equal(formatDuration(860), '0.9s');
    assert.equal(formatDuration(42_000), '42s');
    assert.equal(formatDuration(190_000), '3m10s');
    assert.equal(formatDuration(7_200_000), '2h00m');
  });
});
