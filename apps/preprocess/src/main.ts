// Telemetry starts before anything loads @grpc/grpc-js, so the gRPC instrumentation can hook it.
import { initTelemetry } from '@internvl/telemetry';

const telemetry = initTelemetry('internvl-preprocess');

const { runTierMain } = require('@internvl/service-kit') as typeof import('@internvl/service-kit');
const { preprocessApp } =
  require('@internvl/preprocess-service') as typeof import('@internvl/preprocess-service');

runTierMain(preprocessApp, telemetry.metricsHandler);
