// Telemetry starts before anything loads @grpc/grpc-js, so the gRPC instrumentation can hook it.
import { initTelemetry } from '@internvl/telemetry';

const telemetry = initTelemetry('internvl-vision');

const { runTierMain } = require('@internvl/service-kit') as typeof import('@internvl/service-kit');
const { visionApp } = require('@internvl/vision-service') as typeof import('@internvl/vision-service');

runTierMain(visionApp, telemetry.metricsHandler);
