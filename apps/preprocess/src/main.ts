// Telemetry starts before anything loads @grpc/grpc-js, so the gRPC instrumentation can hook it.
import { initTelemetry } from '@internvl/telemetry';

const telemetry = initTelemetry('internvl-preprocess');

const { runService, serviceHelp } =
  require('@internvl/service-kit') as typeof import('@internvl/service-kit');
const { preprocessApp } =
  require('@internvl/preprocess-service') as typeof import('@internvl/preprocess-service');

const argv = process.argv.slice(2);
if (argv.includes('--help')) {
  process.stdout.write(serviceHelp(preprocessApp) + '\n');
  process.exit(0);
}
runService(preprocessApp, {
  argv,
  env: process.env,
  metricsHandler: telemetry.metricsHandler,
  handleSignals: true,
}).catch((err: unknown) => {
  process.stderr.write(`preprocess: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
