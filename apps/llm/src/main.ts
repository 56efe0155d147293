// Telemetry starts before anything loads @grpc/grpc-js, so the gRPC instrumentation can hook it.
import { initTelemetry } from '@internvl/telemetry';

const telemetry = initTelemetry('internvl-llm');

const { runTierMain } = require('@internvl/service-kit') as typeof import('@internvl/service-kit');
const { llmApp } = require('@internvl/llm-service') as typeof import('@internvl/llm-service');

runTierMain(llmApp, telemetry.metricsHandler);
