import { makeGenericClientConstructor, type Client, type ServiceError } from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';

const HealthClient = makeGenericClientConstructor(healthService, 'Health');

type CheckFn = (
  request: { service: string },
  options: { deadline: Date },
  callback: (err: ServiceError | null, response?: { status: string | number }) => void,
) => void;

/**
 * grpc.health.v1 Check over the channel of an existing client (no new connection; the check
 * also makes an idle or backed-off channel try to connect). Resolves with the status name
 * ("SERVING", "NOT_SERVING", ...); rejects when the server cannot be reached in `timeoutMs`.
 */
export function createHealthChecker(client: Client): (service: string, timeoutMs: number) => Promise<string> {
  const health = new HealthClient('unused', null as never, {
    channelOverride: client.getChannel(),
  }) as unknown as { check: CheckFn };
  return (service, timeoutMs) =>
    new Promise((resolve, reject) =>
      health.check({ service }, { deadline: new Date(Date.now() + timeoutMs) }, (err, response) =>
        err ? reject(err) : resolve(String(response?.status ?? 'UNKNOWN')),
      ),
    );
}
