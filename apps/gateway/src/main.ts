// Telemetry starts before anything loads @grpc/grpc-js, so the gRPC instrumentation can hook it.
import { initTelemetry } from '@internvl/telemetry';

const telemetry = initTelemetry('internvl-gateway');

const { runTierMain } = require('@internvl/service-kit') as typeof import('@internvl/service-kit');
const { gatewayApp } = require('@internvl/gateway-service') as typeof import('@internvl/gateway-service');

runTierMain(gatewayApp, telemetry.metricsHandler);
