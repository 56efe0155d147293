// Telemetry starts before anything loads @grpc/grpc-js, so the gRPC instrumentation can hook it.
import { initTelemetry } from '@internvl/telemetry';

const telemetry = initTelemetry('internvl-gateway');

const { runService, serviceHelp } =
  require('@internvl/service-kit') as typeof import('@internvl/service-kit');
const { gatewayApp } = require('@internvl/gateway-service') as typeof import('@internvl/gateway-service');

const argv = process.argv.slice(2);
if (argv.includes('--help')) {
  process.stdout.write(serviceHelp(gatewayApp) + '\n');
  process.exit(0);
}
runService(gatewayApp, {
  argv,
  env: process.env,
  metricsHandler: telemetry.metricsHandler,
  handleSignals: true,
}).catch((err: unknown) => {
  process.stderr.write(`gateway: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
