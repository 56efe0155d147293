import type { Command } from './registry';

const TIERS = ['gateway', 'preprocess', 'vision', 'llm'] as const;
type Tier = (typeof TIERS)[number];

const USAGE = `Usage: internvl serve <${TIERS.join('|')}|all> [options]

  internvl serve <tier> --help   lists that tier's options (flags or INTERNVL_<TIER>_* env)
  internvl serve all --help      lists the options of the whole local stack
`;

function isTier(name: string): name is Tier {
  return (TIERS as readonly string[]).includes(name);
}

async function serveOne(tier: Tier, argv: string[]): Promise<number> {
  // Telemetry first: the gRPC instrumentation must hook @grpc/grpc-js before it is loaded.
  const { initTelemetry } = require('@internvl/telemetry') as typeof import('@internvl/telemetry');
  const telemetry = argv.includes('--help') ? undefined : initTelemetry(`internvl-${tier}`);
  const { runService, serviceHelp } =
    require('@internvl/service-kit') as typeof import('@internvl/service-kit');
  const apps = {
    gateway: () =>
      (require('@internvl/gateway-service') as typeof import('@internvl/gateway-service')).gatewayApp,
    preprocess: () =>
      (require('@internvl/preprocess-service') as typeof import('@internvl/preprocess-service'))
        .preprocessApp,
    vision: () =>
      (require('@internvl/vision-service') as typeof import('@internvl/vision-service')).visionApp,
    llm: () => (require('@internvl/llm-service') as typeof import('@internvl/llm-service')).llmApp,
  };
  const app = apps[tier]();
  if (argv.includes('--help')) {
    process.stdout.write(serviceHelp(app as never) + '\n');
    return 0;
  }
  await runService(app as never, {
    argv,
    env: process.env,
    metricsHandler: telemetry?.metricsHandler,
    handleSignals: true,
  });
  // Keeps running until a signal drains and exits the process.
  return new Promise<number>(() => undefined);
}

export const serveCommand: Command = {
  summary: 'Run a tier or the whole stack.',
  async run(argv) {
    const [target, ...rest] = argv;
    if (!target || target === '--help') {
      process.stdout.write(USAGE);
      return target ? 0 : 2;
    }
    if (target === 'all') {
      const { serveAll } = require('./serve-all') as typeof import('./serve-all');
      return serveAll(rest);
    }
    if (!isTier(target)) {
      process.stderr.write(`internvl serve: unknown tier '${target}'\n\n${USAGE}`);
      return 2;
    }
    return serveOne(target, rest);
  },
};
