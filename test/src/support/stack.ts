import { CLI } from './paths';
import { startServer, type RunningProcess } from './processes';

/** The four tiers as separate processes on free loopback ports, the gateway wired to the others. */
export interface Stack {
  preprocess: RunningProcess;
  vision: RunningProcess;
  llm: RunningProcess;
  gateway: RunningProcess;
  /** host:port of the gateway's gRPC ChatService. */
  gatewayAddress: string;
  /** Base URL of the gateway's OpenAI-compatible HTTP API. */
  httpBase: string;
  /**
   * Starts the llm tier again on its port once the test has stopped or killed it (a supervisor's
   * restart); `llm` and stop() then mean the new process.
   */
  restartLlm(): Promise<RunningProcess>;
  stop(): Promise<void>;
}

export interface StackOptions {
  /** Extra env per tier (e.g. INTERNVL_TRACE_FILE). */
  env?: Partial<Record<'preprocess' | 'vision' | 'llm' | 'gateway', NodeJS.ProcessEnv>>;
  gatewayArgs?: string[];
  llmArgs?: string[];
}

const serve = (tier: string, args: string[], env?: NodeJS.ProcessEnv, port = 0) =>
  startServer(CLI, ['serve', tier, '--port', String(port), '--metrics-port', '0', ...args], env);

/** Starts a gateway in front of already running tiers. */
export async function startGateway(
  tiers: Pick<Stack, 'preprocess' | 'vision' | 'llm'>,
  args: string[] = [],
  env?: NodeJS.ProcessEnv,
): Promise<{ gateway: RunningProcess; httpBase: string }> {
  const gateway = await serve(
    'gateway',
    [
      '--preprocess-addr',
      `127.0.0.1:${tiers.preprocess.port}`,
      '--vision-addr',
      `127.0.0.1:${tiers.vision.port}`,
      '--llm-addr',
      `127.0.0.1:${tiers.llm.port}`,
      '--http-port',
      '0',
      ...args,
    ],
    env,
  );
  const deadline = Date.now() + 10_000;
  for (;;) {
    const line = gateway.logs.find(
      (l) => typeof l.msg === 'string' && /openai http listening on/.test(l.msg),
    );
    if (line)
      return { gateway, httpBase: /(https?:\/\/\S+)/.exec(line.msg as string)![1]!.replace(/\/$/, '') };
    if (Date.now() > deadline) throw new Error('the gateway did not log its HTTP endpoint');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export async function startStack(model: string, options: StackOptions = {}): Promise<Stack> {
  const env = options.env ?? {};
  const serveLlm = (port?: number) =>
    serve('llm', ['--model', model, ...(options.llmArgs ?? [])], env.llm, port);
  const [preprocess, vision, llm] = await Promise.all([
    serve('preprocess', [], env.preprocess),
    serve('vision', ['--model', model], env.vision),
    serveLlm(),
  ]);
  const { gateway, httpBase } = await startGateway(
    { preprocess, vision, llm },
    options.gatewayArgs,
    env.gateway,
  );
  const stack: Stack = {
    preprocess,
    vision,
    llm,
    gateway,
    gatewayAddress: `127.0.0.1:${gateway.port}`,
    httpBase,
    async restartLlm() {
      stack.llm = await serveLlm(stack.llm.port);
      return stack.llm;
    },
    async stop() {
      await gateway.stop();
      await Promise.all([preprocess.stop(), vision.stop(), stack.llm.stop()]);
    },
  };
  return stack;
}

/** One Prometheus sample's value from a /metrics text (labels matched as a substring). */
export async function metricValue(
  metricsPort: number,
  name: string,
  labels = '',
): Promise<number | undefined> {
  const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (!(rest.startsWith(' ') || rest.startsWith('{'))) continue;
    if (labels && !rest.includes(labels)) continue;
    return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}
