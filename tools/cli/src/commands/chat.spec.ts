import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { status as Status } from '@grpc/grpc-js';
import { Role, type ChatMessage } from '@internvl/contracts';
import { runChat, type ChatIo } from './chat';
import { extractRepeatedFlags } from './chat-argv';
import {
  FAKE_ANSWER,
  FAKE_DELTAS,
  FAKE_PROMPT,
  answerScript,
  errorScript,
  hangScript,
  startFakeGateway,
  type FakeGateway,
} from './testing/chat-fake-gateway';
import { mainHelp } from './registry';

class Collector {
  readonly chunks: string[] = [];
  constructor(private readonly onWrite?: (chunk: string) => void) {}
  write(chunk: string): boolean {
    this.chunks.push(chunk);
    this.onWrite?.(chunk);
    return true;
  }
  get text(): string {
    return this.chunks.join('');
  }
}

function makeIo(env: NodeJS.ProcessEnv = {}) {
  const stdout = new Collector();
  const stderr = new Collector();
  const io: ChatIo = { stdout, stderr, env };
  return { io, stdout, stderr };
}

/** Images of a message in order: [bytes as text, maxTiles]. */
function imagesOf(message: ChatMessage): [string, number][] {
  return message.content.flatMap((c) =>
    c.part?.$case === 'image' ? [[c.part.value.data.toString(), c.part.value.tiling?.maxTiles ?? -1]] : [],
  ) as [string, number][];
}

function textOf(message: ChatMessage): string {
  return message.content.map((c) => (c.part?.$case === 'text' ? c.part.value : '')).join('');
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

// The timeout only turns a hang (a missed cancellation) into a failure; no assertion depends on timing.
describe('internvl chat', { timeout: 60_000 }, () => {
  let gateway: FakeGateway;
  let dir: string;

  before(async () => {
    gateway = await startFakeGateway(answerScript());
    dir = mkdtempSync(join(tmpdir(), 'internvl-chat-'));
  });
  after(async () => {
    await gateway.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function lastCall() {
    return gateway.calls.at(-1)!;
  }

  it('streams the answer delta by delta and ends it with a newline; greedy, 512 tokens by default', async () => {
    const { io, stdout, stderr } = makeIo();
    const code = await runChat(['--addr', gateway.addr, '图里是什么？'], io);
    assert.equal(stderr.text, '');
    assert.equal(code, 0);
    assert.equal(stdout.text, `${FAKE_ANSWER}\n`);
    assert.deepEqual(stdout.chunks, [...FAKE_DELTAS.map((d) => d.text).filter((t) => t !== ''), '\n']);
    const { request } = lastCall();
    assert.equal(request.returnPrompt, false);
    assert.equal(request.input!.messages.length, 1);
    assert.equal(request.input!.messages[0]!.role, Role.ROLE_USER);
    assert.equal(textOf(request.input!.messages[0]!), '图里是什么？');
    assert.equal(request.input!.params!.maxNewTokens, 512);
    assert.equal(request.input!.params!.temperature, 0);
    assert.equal(request.input!.params!.seed, undefined);
  });

  it('--json prints one object per event, the prompt first when asked for', async () => {
    const { io, stdout } = makeIo();
    assert.equal(await runChat(['--addr', gateway.addr, '--json', '--return-prompt', 'q'], io), 0);
    assert.ok(stdout.text.endsWith('\n'));
    const lines = stdout.text
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(lines[0], { type: 'prompt', text: FAKE_PROMPT.text, input_ids: FAKE_PROMPT.inputIds });
    assert.deepEqual(
      lines.slice(1, -1),
      FAKE_DELTAS.map((d) => ({ type: 'delta', text: d.text, token_ids: d.tokenIds })),
    );
    assert.deepEqual(lines.at(-1), {
      type: 'finish',
      reason: 'stop',
      usage: { prompt_tokens: 1800, image_tokens: 1792, completion_tokens: 6, cached_tokens: 0 },
      timings: { queue_ms: 1.5, time_to_first_token_ms: 40, time_per_output_token_ms: 12.5, total_ms: 110 },
    });
    assert.equal(lastCall().request.returnPrompt, true);

    const plain = makeIo();
    assert.equal(await runChat(['--addr', gateway.addr, '--json', 'q'], plain.io), 0);
    assert.equal(lastCall().request.returnPrompt, false);
    assert.deepEqual(
      plain.stdout.text
        .trimEnd()
        .split('\n')
        .map((l) => (JSON.parse(l) as { type: string }).type),
      ['delta', 'delta', 'delta', 'delta', 'finish'],
    );
  });

  it('--dump-prompt writes the prompt and ids as the llm received them', async () => {
    const file = join(dir, 'prompt.json');
    const { io, stdout, stderr } = makeIo();
    assert.equal(await runChat(['--addr', gateway.addr, '--dump-prompt', file, 'q'], io), 0);
    assert.equal(lastCall().request.returnPrompt, true);
    assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), {
      prompt: FAKE_PROMPT.text,
      input_ids: FAKE_PROMPT.inputIds,
    });
    assert.equal(stdout.text, `${FAKE_ANSWER}\n`);
    assert.equal(stderr.text, '');
  });

  it('sends every --image, in order, before the question, with --max-num', async () => {
    writeFileSync(join(dir, 'one.png'), 'first image bytes');
    writeFileSync(join(dir, 'two,comma.jpg'), 'second image bytes');
    const { io } = makeIo();
    const argv = ['--addr', gateway.addr, '--image', join(dir, 'one.png')];
    argv.push(`--image=${join(dir, 'two,comma.jpg')}`, '--max-num', '6', 'compare');
    assert.equal(await runChat(argv, io), 0);
    const [message] = lastCall().request.input!.messages;
    assert.deepEqual(imagesOf(message!), [
      ['first image bytes', 6],
      ['second image bytes', 6],
    ]);
    assert.deepEqual(
      message!.content.map((c) => c.part?.$case),
      ['image', 'image', 'text'],
    );
    assert.equal(textOf(message!), 'compare');
  });

  it('--json-schema FILE asks for structured output; a file that is not a schema is a usage error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'chat-schema-'));
    const schema = { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] };
    writeFileSync(join(dir, 'card.json'), JSON.stringify(schema));
    writeFileSync(join(dir, 'bad.json'), '[1, 2]');
    const { io } = makeIo();
    assert.equal(
      await runChat(['--addr', gateway.addr, '--json-schema', join(dir, 'card.json'), 'q'], io),
      0,
    );
    assert.deepEqual(lastCall().request.input!.params!.constraint, {
      $case: 'jsonSchema',
      value: JSON.stringify(schema),
    });
    const bad = makeIo();
    assert.equal(
      await runChat(['--addr', gateway.addr, '--json-schema', join(dir, 'bad.json'), 'q'], bad.io),
      2,
    );
    assert.match(bad.stderr.text, /must hold a JSON Schema object/);
  });

  it('--num-beams, --length-penalty and --early-stopping ask for beam search', async () => {
    const { io } = makeIo();
    const argv = [
      '--addr',
      gateway.addr,
      '--num-beams',
      '4',
      '--length-penalty',
      '0.5',
      '--early-stopping',
      'q',
    ];
    assert.equal(await runChat(argv, io), 0);
    const { params } = lastCall().request.input!;
    assert.deepEqual([params!.numBeams, params!.lengthPenalty, params!.earlyStopping], [4, 0.5, true]);
  });

  it('sends sampling options, repeated --stop and --system', async () => {
    const { io } = makeIo();
    const argv = ['--addr', gateway.addr, '--temperature', '0.5', '--top-p', '0.75', '--seed', '7'];
    argv.push('--stop', '\n\n', '--stop', 'a,b', '--max-new-tokens', '64', '--system', 'Be brief.', 'q');
    assert.equal(await runChat(argv, io), 0);
    const { messages, params } = lastCall().request.input!;
    assert.deepEqual(params, { ...params, temperature: 0.5, topP: 0.75, seed: 7, maxNewTokens: 64 });
    assert.deepEqual(params!.stop, ['\n\n', 'a,b']);
    assert.deepEqual(
      messages.map((m) => [m.role, textOf(m)]),
      [
        [Role.ROLE_SYSTEM, 'Be brief.'],
        [Role.ROLE_USER, 'q'],
      ],
    );
  });

  it('--history continues a conversation: sends earlier rounds with their images and appends the new one', async () => {
    const history = join(dir, 'talk', 'history.json');
    writeFileSync(join(dir, 'cat.jpg'), 'cat bytes');
    writeFileSync(join(dir, 'dog.jpg'), 'dog bytes');
    const { io } = makeIo();
    // The file does not exist yet: the first round creates it.
    const first = ['--addr', gateway.addr, '--history', history, '--image', join(dir, 'cat.jpg')];
    assert.equal(await runChat([...first, '--max-num', '4', '--system', 'sys', 'what is it?'], io), 0);
    assert.deepEqual(JSON.parse(readFileSync(history, 'utf8')), [
      { role: 'system', content: 'sys' },
      { role: 'user', content: 'what is it?', images: ['../cat.jpg'], max_num: 4 },
      { role: 'assistant', content: FAKE_ANSWER },
    ]);

    const second = ['--addr', gateway.addr, '--history', history, '--image', join(dir, 'dog.jpg')];
    assert.equal(await runChat([...second, 'and this one?'], makeIo().io), 0);
    const { messages } = lastCall().request.input!;
    assert.deepEqual(
      messages.map((m) => [m.role, textOf(m), imagesOf(m)]),
      [
        [Role.ROLE_SYSTEM, 'sys', []],
        [Role.ROLE_USER, 'what is it?', [['cat bytes', 4]]],
        [Role.ROLE_ASSISTANT, FAKE_ANSWER, []],
        [Role.ROLE_USER, 'and this one?', [['dog bytes', 0]]],
      ],
    );
    const saved = JSON.parse(readFileSync(history, 'utf8')) as unknown[];
    assert.equal(saved.length, 5);
    assert.deepEqual(saved.slice(3), [
      { role: 'user', content: 'and this one?', images: ['../dog.jpg'], max_num: 0 },
      { role: 'assistant', content: FAKE_ANSWER },
    ]);
  });

  it('does not touch the history file when the call fails', async () => {
    const failing = await startFakeGateway(errorScript(Status.INTERNAL, 'boom'));
    try {
      const history = join(dir, 'kept.json');
      const before = JSON.stringify([
        { role: 'user', content: 'hi' },
        { role: 'assistant', content: 'hello' },
      ]);
      writeFileSync(history, before);
      const { io } = makeIo();
      assert.equal(await runChat(['--addr', failing.addr, '--history', history, 'q'], io), 1);
      assert.equal(readFileSync(history, 'utf8'), before);
    } finally {
      await failing.close();
    }
  });

  it('sends --api-key (or INTERNVL_API_KEY) as a bearer token', async () => {
    assert.equal(await runChat(['--addr', gateway.addr, '--api-key', 'k1', 'q'], makeIo().io), 0);
    assert.deepEqual(lastCall().metadata.get('authorization'), ['Bearer k1']);
    assert.equal(await runChat(['--addr', gateway.addr, 'q'], makeIo({ INTERNVL_API_KEY: 'k2' }).io), 0);
    assert.deepEqual(lastCall().metadata.get('authorization'), ['Bearer k2']);
    assert.equal(await runChat(['--addr', gateway.addr, 'q'], makeIo().io), 0);
    assert.deepEqual(lastCall().metadata.get('authorization'), []);
  });

  it('prints a gRPC status as one line and exits 1; a downstream UNAVAILABLE keeps its details', async () => {
    for (const [code, details, expected] of [
      [Status.UNAVAILABLE, 'vision tier down', 'chat: UNAVAILABLE: vision tier down\n'],
      [
        Status.INVALID_ARGUMENT,
        'image 2 is not an image',
        'chat: INVALID_ARGUMENT: image 2 is not an image\n',
      ],
      [Status.UNAUTHENTICATED, 'bad key', 'chat: UNAUTHENTICATED: bad key\n'],
    ] as const) {
      const failing = await startFakeGateway(errorScript(code, details));
      try {
        const { io, stdout, stderr } = makeIo();
        assert.equal(await runChat(['--addr', failing.addr, 'q'], io), 1);
        assert.equal(stderr.text, expected);
        assert.equal(stdout.text, '');
      } finally {
        await failing.close();
      }
    }
  });

  it('says how to start the gateway when nothing listens at --addr', async () => {
    const addr = `127.0.0.1:${await closedPort()}`;
    const { io, stderr } = makeIo();
    assert.equal(await runChat(['--addr', addr, 'q'], io), 1);
    assert.match(stderr.text, new RegExp(`^chat: cannot reach the gateway at ${addr} \\(`));
    assert.match(
      stderr.text,
      /start it with 'internvl serve all --model DIR' or 'npm start', or pass --addr\n$/,
    );
  });

  it('reports a passed deadline as DEADLINE_EXCEEDED', async () => {
    const slow = await startFakeGateway(hangScript());
    try {
      const { io, stdout, stderr } = makeIo();
      assert.equal(await runChat(['--addr', slow.addr, '--timeout-ms', '200', 'q'], io), 1);
      assert.match(stderr.text, /^chat: DEADLINE_EXCEEDED: /);
      assert.equal(stdout.text, `${FAKE_DELTAS[0]!.text}\n`);
    } finally {
      await slow.close();
    }
  });

  it('Ctrl-C cancels the call on the server and exits 130', async () => {
    const slow = await startFakeGateway(hangScript());
    try {
      const interrupted = new AbortController();
      const stdout = new Collector(() => interrupted.abort());
      const stderr = new Collector();
      const code = await runChat(['--addr', slow.addr, 'q'], {
        stdout,
        stderr,
        env: {},
        signal: interrupted.signal,
      });
      assert.equal(code, 130);
      assert.equal(stdout.text, `${FAKE_DELTAS[0]!.text}\n`);
      assert.equal(stderr.text, 'chat: cancelled\n');
      await slow.calls[0]!.cancelled;
    } finally {
      await slow.close();
    }
  });

  it('exits 2 on usage errors without calling the gateway', async () => {
    writeFileSync(join(dir, 'bad-history.json'), '{"role": "user"}');
    writeFileSync(join(dir, 'bad-role.json'), '[{"role": "bot", "content": "x"}]');
    const calls = gateway.calls.length;
    for (const [argv, message] of [
      [[], /the question is missing/],
      [['a', 'b'], /expected one question/],
      [['--frobnicate', 'q'], /unknown option --frobnicate/],
      [['--top-p', '0', 'q'], /--top-p must be above 0/],
      [['--max-new-tokens', 'many', 'q'], /not an integer/],
      [['q', '--image'], /option --image needs a value/],
      [['--image', join(dir, 'missing.png'), 'q'], /cannot read image .*missing\.png/],
      [['--history', join(dir, 'bad-history.json'), 'q'], /must be an array/],
      [
        ['--history', join(dir, 'bad-role.json'), 'q'],
        /message 1: role must be one of user, assistant, system/,
      ],
    ] as const) {
      const { io, stderr } = makeIo();
      assert.equal(await runChat(['--addr', gateway.addr, ...argv], io), 2, argv.join(' '));
      assert.match(stderr.text, message);
    }
    assert.equal(gateway.calls.length, calls);
    assert.equal(existsSync(join(dir, 'missing.png')), false);
  });

  it('--help documents the repeated flags, the --json lines and the history format', async () => {
    const { io, stdout } = makeIo();
    assert.equal(await runChat(['--help'], io), 0);
    for (const text of ['--image <file>', '--stop <string>', '--api-key', '"type":"finish"', '"max_num"'])
      assert.ok(stdout.text.includes(text), text);
    assert.match(mainHelp(), /^ {2}chat {2,}Ask the gateway/m);
  });
});

describe('extractRepeatedFlags', () => {
  const takesValue = (flag: string) => flag === '--system';

  it('collects repeated values in order and leaves everything else for parseConfig', () => {
    const argv = ['--image', 'a.png', '--system', '--image', 'q', '--image=b,c.png', '--json'];
    assert.deepEqual(extractRepeatedFlags(argv, ['--image', '--stop'], takesValue), {
      rest: ['--system', '--image', 'q', '--json'],
      values: { '--image': ['a.png', 'b,c.png'], '--stop': [] },
    });
  });
});
