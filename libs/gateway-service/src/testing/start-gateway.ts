import { strict as assert } from 'node:assert';
import { runService, type RunningService } from '@internvl/service-kit';
import { createGatewayApp, type GatewayRuntime } from '../gateway-app';
import type { FakeStack } from './chat-fixtures';

export interface StartedGateway {
  service: RunningService;
  runtime: GatewayRuntime;
}

/** The gateway app on port 0 (gRPC and HTTP) over the fake tiers, with extra flags. */
export async function startGateway(stack: FakeStack, extra: string[]): Promise<StartedGateway> {
  const { preprocess, vision, llm } = stack.servers;
  let runtime: GatewayRuntime | undefined;
  const service = await runService(createGatewayApp({ onReady: (r) => (runtime = r) }), {
    argv: [
      ...['--port', '0', '--http-port', '0', '--metrics-port', '-1', '--log-level', 'silent'],
      ...['--preprocess-addr', preprocess.address, '--vision-addr', vision.address],
      ...['--llm-addr', llm.address],
      ...extra,
    ],
    env: {},
  });
  assert.ok(runtime);
  return { service, runtime };
}
