import { createLogger } from '../../logging/logger';
import { ServiceHost, type ServiceHostOptions } from '../service-host';

/**
 * A ServiceHost for specs: loopback on a port the OS picks, 1 MiB messages either way, a 1 s
 * drain and a silent log; TLS and reflection as `options` say.
 */
export function specHost(
  name: string,
  options: Pick<ServiceHostOptions, 'credentials' | 'reflection'> = {},
): ServiceHost {
  return new ServiceHost({
    name,
    host: '127.0.0.1',
    port: 0,
    maxReceiveMessageBytes: 1 << 20,
    maxSendMessageBytes: 1 << 20,
    shutdownTimeoutMs: 1000,
    messageLimitHint: '--max-receive-message-bytes',
    log: createLogger(name, 'silent'),
    ...options,
  });
}
