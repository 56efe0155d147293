// Telemetry starts before anything loads @grpc/grpc-js, so the gRPC instrumentation can hook it.
import { initTelemetry } from '@internvl/telemetry';

const telemetry = initTelemetry('internvl-llm');

const { runService, serviceHelp } =
  require('@internvl/service-kit') as typeof import('@internvl/service-kit');
const { llmApp } = require('@internvl/llm-service') as typeof import('@internvl/llm-service');

const argv = process.argv.slice(2);
if (argv.includes('--help')) {
  process.stdout.write(serviceHelp(llmApp) + '\n');
  process.exit(0);
}
runService(llmApp, {
  argv,
  env: process.env,
  metricsHandler: telemetry.metricsHandler,
  handleSignals: true,
}).catch((err: unknown) => {
  process.stderr.write(`llm: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
