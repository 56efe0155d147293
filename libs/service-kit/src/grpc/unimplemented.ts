import type { ServiceDefinition, UntypedServiceImplementation } from '@grpc/grpc-js';
import { UnimplementedError } from '@internvl/errors';
import type { HandlerEnv } from './handlers';
import { bidiStreaming, clientStreaming, serverStreaming, unary } from './handlers';

/**
 * Handlers that answer every method with UNIMPLEMENTED and a message saying why, for
 * contract methods whose tier is not built yet. Never a fake result.
 */
export function unimplementedService(
  env: HandlerEnv,
  definition: ServiceDefinition,
  why: string,
): UntypedServiceImplementation {
  const impl: UntypedServiceImplementation = {};
  for (const [name, method] of Object.entries(definition)) {
    const message = `${method.path.slice(1)} is not implemented yet: ${why}`;
    const fail = () => {
      throw new UnimplementedError(message);
    };
    if (method.requestStream && method.responseStream) {
      impl[name] = bidiStreaming(env, name, async function* () {
        yield fail();
      });
    } else if (method.requestStream) impl[name] = clientStreaming(env, name, async () => fail());
    else if (method.responseStream) {
      impl[name] = serverStreaming(env, name, async function* () {
        yield fail();
      });
    } else impl[name] = unary(env, name, async () => fail());
  }
  return impl;
}
