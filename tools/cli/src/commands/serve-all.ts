import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defineSchema, formatHelp, parseConfig } from '@internvl/service-kit';

const stackSchema = defineSchema({
  model: {
    type: 'string',
    default: '',
    doc: 'Model directory (from `internvl convert`) for the vision and llm tiers. Required.',
  },
  host: { type: 'string', default: '127.0.0.1', doc: 'Interface every tier binds.' },
  gateway_port: {
    type: 'int',
    default: 50050,
    min: 1,
    max: 65535,
    doc: 'gRPC port of the gateway (the public API).',
  },
  preprocess_port: {
    type: 'int',
    default: 50051,
    min: 1,
    max: 65535,
    doc: 'gRPC port of the preprocess tier.',
  },
  vision_port: { type: 'int', default: 50052, min: 1, max: 65535, doc: 'gRPC port of the vision tier.' },
  llm_port: { type: 'int', default: 50053, min: 1, max: 65535, doc: 'gRPC port of the llm tier.' },
  http_port: {
    type: 'int',
    default: 8080,
    min: 1,
    max: 65535,
    doc: "Port of the gateway's OpenAI-compatible HTTP API.",
  },
  metrics: {
    type: 'bool',
    default: true,
    doc: 'Serve Prometheus /metrics on ports 9450 (gateway) to 9453 (llm).',
  },
});

const TIER_ORDER = ['preprocess', 'vision', 'llm', 'gateway'] as const;
/** Tiers that load the model directory. */
const MODEL_TIERS: ReadonlySet<string> = new Set(['vision', 'llm']);

/** The served model's name (the manifest's), as the OpenAI API lists it. */
function modelName(dir: string): string {
  try {
    return (JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { name: string }).name;
  } catch {
    return 'MODEL';
  }
}

/** What to type once the stack is up (printed with the endpoints). */
function exampleRequests(host: string, grpcPort: number, httpPort: number, model: string): string {
  const image = join(__dirname, '..', '..', '..', '..', 'test', 'fixtures', 'images', 'image1.jpg');
  const body = JSON.stringify({
    model,
    messages: [{ role: 'user', content: 'Hello, who are you?' }],
    stream: true,
  });
  return (
    'Try it once every tier logs "listening":\n' +
    `  node ${join(__dirname, '..', 'main.js')} chat --addr ${host}:${grpcPort} --image ${image} "Describe the image."\n` +
    `  curl -N http://${host}:${httpPort}/v1/chat/completions -H 'content-type: application/json' -d '${body}'\n`
  );
}

/** Path of a tier's process entry point inside this checkout. */
function entryPoint(tier: string): string {
  return join(__dirname, '..', '..', '..', '..', 'apps', tier, 'dist', 'main.js');
}

/**
 * Runs every tier as its own process on loopback, the same topology as a cluster. Each tier
 * also reads its own INTERNVL_<TIER>_* env. SIGTERM/SIGINT are passed on; when one tier exits
 * the others are stopped.
 */
export async function serveAll(argv: string[]): Promise<number> {
  if (argv.includes('--help')) {
    process.stdout.write(`Usage: internvl serve all [options]\n\n${formatHelp(stackSchema, 'stack')}\n`);
    return 0;
  }
  const { config } = parseConfig(stackSchema, 'stack', { argv, env: process.env });
  if (!config.model) {
    process.stderr.write(
      'internvl serve all: --model DIR is required (a directory made by `internvl convert`; `npm start` creates a tiny default one)\n',
    );
    return 2;
  }
  const metricsPorts = { gateway: 9450, preprocess: 9451, vision: 9452, llm: 9453 };
  const ports = {
    gateway: config.gateway_port,
    preprocess: config.preprocess_port,
    vision: config.vision_port,
    llm: config.llm_port,
  };
  const children = new Map<string, ChildProcess>();
  for (const tier of TIER_ORDER) {
    const args = [
      entryPoint(tier),
      '--host',
      config.host,
      '--port',
      String(ports[tier]),
      '--metrics-port',
      String(config.metrics ? metricsPorts[tier] : -1),
      ...(MODEL_TIERS.has(tier) ? ['--model', config.model] : []),
      ...(tier === 'gateway'
        ? [
            '--preprocess-addr',
            `${config.host}:${ports.preprocess}`,
            '--vision-addr',
            `${config.host}:${ports.vision}`,
            '--llm-addr',
            `${config.host}:${ports.llm}`,
            '--http-host',
            config.host,
            '--http-port',
            String(config.http_port),
          ]
        : []),
    ];
    children.set(tier, spawn(process.execPath, args, { stdio: ['ignore', 'inherit', 'inherit'] }));
  }
  process.stdout.write(
    `internvl stack starting on ${config.host}:\n` +
      TIER_ORDER.map(
        (t) =>
          `  ${t.padEnd(10)} grpc ${config.host}:${ports[t]}${config.metrics ? `  metrics http://${config.host}:${metricsPorts[t]}/metrics` : ''}`,
      ).join('\n') +
      `\n  ${'openai'.padEnd(10)} http://${config.host}:${config.http_port}/v1 (chat/completions, models)\n\n` +
      exampleRequests(config.host, ports.gateway, config.http_port, modelName(config.model)),
  );
  return new Promise<number>((resolve) => {
    let stopping = false;
    let exitCode = 0;
    const stopAll = (signal: NodeJS.Signals) => {
      stopping = true;
      for (const child of children.values()) if (child.exitCode === null) child.kill(signal);
    };
    process.on('SIGINT', () => stopAll('SIGINT'));
    process.on('SIGTERM', () => stopAll('SIGTERM'));
    for (const [tier, child] of children) {
      child.on('exit', (code, signal) => {
        children.delete(tier);
        if (!stopping) {
          process.stderr.write(
            `internvl serve all: ${tier} exited (${signal ?? code}); stopping the stack\n`,
          );
          exitCode = 1;
          stopAll('SIGTERM');
        }
        if (children.size === 0) resolve(exitCode);
      });
    }
  });
}
