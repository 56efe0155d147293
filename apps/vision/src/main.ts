// Telemetry starts before anything loads @grpc/grpc-js, so the gRPC instrumentation can hook it.
import { initTelemetry } from '@internvl/telemetry';

const telemetry = initTelemetry('internvl-vision');

const { runService, serviceHelp } =
  require('@internvl/service-kit') as typeof import('@internvl/service-kit');
const { visionApp } = require('@internvl/vision-service') as typeof import('@internvl/vision-service');

const argv = process.argv.slice(2);
if (argv.includes('--help')) {
  process.stdout.write(serviceHelp(visionApp) + '\n');
  process.exit(0);
}
runService(visionApp, {
  argv,
  env: process.env,
  metricsHandler: telemetry.metricsHandler,
  handleSignals: true,
}).catch((err: unknown) => {
  process.stderr.write(`vision: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
