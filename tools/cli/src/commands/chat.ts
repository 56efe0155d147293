import { writeFileSync } from 'node:fs';
import type { StreamChatResponse } from '@internvl/contracts';
import type { Command } from './registry';
import type { Writer } from './chat-output';
import {
  ConfigError,
  defineSchema,
  flagName,
  formatHelp,
  parseConfig,
  type ConfigOf,
} from '@internvl/service-kit';
import { extractRepeatedFlags } from './chat-argv';
import {
  HISTORY_FORMAT_HELP,
  historyImagePath,
  readHistory,
  resolveHistoryImage,
  withSystemMessage,
  writeHistory,
  type HistoryEntry,
} from './chat-history';

const schema = defineSchema({
  addr: { type: 'string', default: '127.0.0.1:50050', doc: 'Address of the gateway (host:port).' },
  max_num: {
    type: 'int',
    default: 0,
    min: 0,
    max: 40,
    doc: "Maximum tiles per --image (the thumbnail is extra); 0 = the model's max_dynamic_patch (12 for most).",
  },
  history: {
    type: 'string',
    default: '',
    doc: 'JSON file of the earlier messages; the question and answer are appended to it (format below).',
  },
  system: {
    type: 'string',
    default: '',
    doc: "System message (replaces the template's default one; saved in --history).",
  },
  max_new_tokens: { type: 'int', default: 512, min: 1, doc: 'Upper bound on generated tokens.' },
  temperature: { type: 'number', default: 0, min: 0, doc: '0 = greedy, as in the model card.' },
  top_p: { type: 'number', default: 1, min: 0, max: 1, doc: 'Nucleus sampling mass in (0, 1].' },
  seed: {
    type: 'int',
    default: -1,
    min: -1,
    max: Number.MAX_SAFE_INTEGER,
    doc: 'Seed for reproducible sampling; -1 = random.',
  },
  json: {
    type: 'bool',
    default: false,
    doc: 'Print one JSON object per line per event instead of plain text (format below).',
  },
  num_beams: {
    type: 'int',
    default: 1,
    min: 1,
    max: 16,
    doc: 'Beam search with this many beams (HF generate semantics; greedy within beams).',
  },
  length_penalty: { type: 'number', default: 1, doc: 'Beam search: scores are divided by length^this.' },
  early_stopping: {
    type: 'bool',
    default: false,
    doc: 'Beam search: stop once --num-beams answers are complete.',
  },
  json_schema: {
    type: 'string',
    default: '',
    doc: 'A JSON Schema file: the answer is JSON that validates against it (structured output).',
  },
  return_prompt: {
    type: 'bool',
    default: false,
    doc: 'Ask for the rendered prompt: a "prompt" line with --json, otherwise printed on stderr.',
  },
  dump_prompt: {
    type: 'string',
    default: '',
    doc: 'Write {"prompt": text, "input_ids": [...]} exactly as the llm received them to this file.',
  },
  api_key: {
    type: 'string',
    default: '',
    secret: true,
    doc: "Sent as 'authorization: Bearer KEY'; the env variable INTERNVL_API_KEY works too.",
  },
  timeout_ms: { type: 'int', default: 600_000, min: 1, doc: 'Deadline of the whole call.' },
});

const REPEATED = { image: '--image', stop: '--stop' } as const;
const USAGE = 'Usage: internvl chat [--image FILE]... [--history FILE] [options] "question"';
const MiB = 1024 * 1024;
const EXIT_CALL_FAILED = 1;
const EXIT_USAGE = 2;
const EXIT_INTERRUPTED = 130;

function helpText(): string {
  const repeated =
    `  --image <file>\n      An image shown with the question, before its text; repeat for several (kept in order).\n` +
    `  --stop <string>\n      Generation stops before this string (not printed); repeat for several.\n`;
  return (
    `${USAGE}\n\nAsks the gateway (ChatService/StreamChat) and streams the answer to stdout as it is\n` +
    `generated. Decoding is greedy unless --temperature is set, as in the model card.\n\n` +
    `Options:\n${repeated}${formatHelp(schema, 'chat')}\n\n` +
    `--json prints one object per line:\n` +
    `  {"type":"prompt","text":"...","input_ids":[...]}   with --return-prompt or --dump-prompt, first\n` +
    `  {"type":"delta","text":"...","token_ids":[...]}    per streamed piece (text is "" while a character is incomplete)\n` +
    `  {"type":"finish","reason":"stop|length|cancelled","usage":{"prompt_tokens","image_tokens","completion_tokens","cached_tokens"},\n` +
    `   "timings":{"queue_ms","time_to_first_token_ms","time_per_output_token_ms","total_ms"}}\n\n` +
    `${HISTORY_FORMAT_HELP}\n\n` +
    `Exit status: 0 answered; 1 the call failed ('chat: CODE: details' on stderr); 2 usage error;\n` +
    `130 interrupted (Ctrl-C cancels the call, and the server stops generating).\n`
  );
}

/** Streams and the environment the command uses; injected by tests. */
export interface ChatIo {
  stdout: Writer;
  stderr: Writer;
  env: NodeJS.ProcessEnv;
  /** Aborting it (Ctrl-C) cancels the call. */
  signal?: AbortSignal;
}

interface ChatArgs {
  config: ConfigOf<typeof schema>;
  question: string;
  images: string[];
  stop: string[];
  apiKey: string;
}

function parseArgs(argv: readonly string[], env: NodeJS.ProcessEnv): ChatArgs {
  const valueFlags = new Set(
    Object.entries(schema)
      .filter(([, field]) => field.type !== 'bool')
      .map(([key]) => flagName(key)),
  );
  const { rest, values } = extractRepeatedFlags(argv, Object.values(REPEATED), (f) => valueFlags.has(f));
  const parsed = parseConfig(schema, 'chat', { argv: rest, env });
  const images = values[REPEATED.image]!;
  if (parsed.positionals.length !== 1)
    throw new ConfigError(
      parsed.positionals.length === 0
        ? 'the question is missing'
        : `expected one question (quote it), got ${parsed.positionals.length} arguments`,
    );
  const question = parsed.positionals[0]!;
  if (question === '' && images.length === 0) throw new ConfigError('the question is empty');
  if (parsed.config.top_p <= 0) throw new ConfigError('--top-p must be above 0');
  return {
    config: parsed.config,
    question,
    images,
    stop: values[REPEATED.stop]!,
    // Spaces around a key cannot cross gRPC metadata (HTTP/2 drops such values); keys never hold any.
    apiKey: (parsed.config.api_key || env['INTERNVL_API_KEY'] || '').trim(),
  };
}

/** The messages of this call: the history (if any), the --system message, and the new question. */
function conversation(args: ChatArgs): { history: HistoryEntry[]; question: HistoryEntry } {
  const { config } = args;
  let history = config.history ? readHistory(config.history) : [];
  if (config.system) history = withSystemMessage(history, config.system);
  const question: HistoryEntry = { role: 'user', content: args.question };
  if (args.images.length > 0) {
    question.images = config.history
      ? args.images.map((image) => historyImagePath(config.history, image))
      : args.images;
    question.max_num = config.max_num;
  }
  return { history, question };
}

/**
 * `internvl chat` with injectable streams: parses argv, sends one StreamChat call, prints the
 * answer as it streams, and updates --history / --dump-prompt. Resolves to the exit code.
 */
export async function runChat(argv: string[], io: ChatIo): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    io.stdout.write(helpText());
    return 0;
  }
  let args: ChatArgs;
  let messages: { history: HistoryEntry[]; question: HistoryEntry };
  try {
    args = parseArgs(argv, io.env);
    messages = conversation(args);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    io.stderr.write(`chat: ${err.message}\n${USAGE}\n(run 'internvl chat --help' for the options)\n`);
    return EXIT_USAGE;
  }
  const { config } = args;

  const { buildStreamChatRequest, readJsonSchema } = await import('./chat-request');
  const toRound = (entry: HistoryEntry, fromHistoryFile: boolean) => ({
    role: entry.role,
    text: entry.content,
    images: (entry.images ?? []).map((image) => ({
      path: fromHistoryFile ? resolveHistoryImage(config.history, image) : image,
      maxNum: entry.max_num ?? config.max_num,
    })),
  });
  let request;
  try {
    request = buildStreamChatRequest(
      [
        ...messages.history.map((e) => toRound(e, true)),
        toRound({ ...messages.question, images: args.images }, false),
      ],
      {
        maxNewTokens: config.max_new_tokens,
        temperature: config.temperature,
        topP: config.top_p,
        seed: config.seed >= 0 ? config.seed : undefined,
        stop: args.stop,
        jsonSchema: config.json_schema === '' ? undefined : readJsonSchema(config.json_schema),
        beams:
          config.num_beams > 1
            ? {
                numBeams: config.num_beams,
                lengthPenalty: config.length_penalty,
                earlyStopping: config.early_stopping,
              }
            : undefined,
      },
      config.return_prompt || config.dump_prompt !== '',
    );
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    io.stderr.write(`chat: ${err.message}\n`);
    return EXIT_USAGE;
  }

  const { ChatServiceClient, FinishReason } = await import('@internvl/contracts');
  const { Metadata, connectivityState } = await import('@grpc/grpc-js');
  const { createClient } = await import('@internvl/service-kit');
  const { ChatPrinter } = await import('./chat-output');
  const { describeCallError } = await import('./chat-errors');

  const client = createClient(ChatServiceClient, {
    addresses: [config.addr],
    maxReceiveMessageBytes: 64 * MiB,
    // Images travel inside the one request message; the gateway's own limit is what binds.
    maxSendMessageBytes: 1024 * MiB,
  });
  const metadata = new Metadata();
  if (args.apiKey) metadata.set('authorization', `Bearer ${args.apiKey}`);
  const printer = new ChatPrinter(io.stdout, io.stderr, config.json);
  const call = client.streamChat(request, metadata, { deadline: new Date(Date.now() + config.timeout_ms) });
  let reachedGateway = false;
  call.on('metadata', () => {
    reachedGateway = true;
  });
  const cancel = () => call.cancel();
  io.signal?.addEventListener('abort', cancel, { once: true });
  if (io.signal?.aborted) cancel();

  let answer = '';
  let finishReason: number | undefined;
  let promptDumped = false;
  try {
    for await (const response of call as AsyncIterable<StreamChatResponse>) {
      reachedGateway = true;
      const kind = response.kind;
      if (kind?.$case === 'prompt') {
        if (config.dump_prompt) {
          writeFileSync(
            config.dump_prompt,
            `${JSON.stringify({ prompt: kind.value.text, input_ids: kind.value.inputIds })}\n`,
          );
          promptDumped = true;
        }
        if (config.return_prompt || config.json) printer.prompt(kind.value);
      } else if (kind?.$case === 'delta') {
        answer += kind.value.text;
        printer.delta(kind.value);
      } else if (kind?.$case === 'finish') {
        finishReason = kind.value.reason;
        printer.finish(kind.value, config.max_new_tokens);
      }
    }
  } catch (err) {
    printer.endLine();
    if (io.signal?.aborted) {
      io.stderr.write('chat: cancelled\n');
      return EXIT_INTERRUPTED;
    }
    reachedGateway ||= client.getChannel().getConnectivityState(false) === connectivityState.READY;
    io.stderr.write(`${describeCallError(err, { addr: config.addr, reachedGateway })}\n`);
    return EXIT_CALL_FAILED;
  } finally {
    io.signal?.removeEventListener('abort', cancel);
    client.close();
  }

  if (finishReason === undefined || finishReason === FinishReason.FINISH_REASON_CANCELLED) {
    printer.endLine();
    io.stderr.write(
      finishReason === undefined
        ? 'chat: the gateway ended the stream without a finish event\n'
        : 'chat: the gateway cancelled the answer\n',
    );
    return EXIT_CALL_FAILED;
  }
  if (config.history)
    writeHistory(config.history, [
      ...messages.history,
      messages.question,
      { role: 'assistant', content: answer },
    ]);
  if (config.dump_prompt && !promptDumped) {
    io.stderr.write(`chat: the gateway sent no prompt; ${config.dump_prompt} was not written\n`);
    return EXIT_CALL_FAILED;
  }
  return 0;
}

export const chatCommand: Command = {
  summary: 'Ask the gateway a question (with images) and stream the answer.',
  async run(argv) {
    const interrupted = new AbortController();
    // `once`: a second Ctrl-C falls through to the default handler and ends the process at once.
    const onSigint = () => interrupted.abort();
    process.once('SIGINT', onSigint);
    try {
      return await runChat(argv, {
        stdout: process.stdout,
        stderr: process.stderr,
        env: process.env,
        signal: interrupted.signal,
      });
    } finally {
      process.off('SIGINT', onSigint);
    }
  },
};
