import type { ChannelCredentials, ChannelOptions, Client } from '@grpc/grpc-js';
import { LlmServiceClient, PreprocessServiceClient, VisionServiceClient } from '@internvl/contracts';
import { ConfigError, createClient, type ClientConfig, type Logger } from '@internvl/service-kit';
import { gatewayOption } from '../gateway-config';
import { downstreamMessageBytes, type PublicLimits } from './downstream-limits';
import type { Tier, TierName, Tiers } from './tier';

export interface TierAddresses extends PublicLimits {
  preprocess_addr: readonly string[];
  vision_addr: readonly string[];
  llm_addr: readonly string[];
  downstream_tls_ca_file: string;
  /** Reconnect backoff of the tier channels (defaults: DEFAULT_RECONNECT_BACKOFF). */
  downstream_reconnect_initial_backoff_ms?: number;
  downstream_reconnect_max_backoff_ms?: number;
}

/**
 * Short, bounded reconnect backoff: after a tier restarts the gateway reconnects within about
 * max_ms (grpc-js would otherwise back off up to 120 s, growing with the outage).
 */
export const DEFAULT_RECONNECT_BACKOFF = { initialMs: 100, maxMs: 1_000 } as const;

type ClientConstructor<C extends Client> = new (
  address: string,
  credentials: ChannelCredentials,
  options?: ChannelOptions,
) => C;

function tier<C extends Client>(
  name: TierName,
  Ctor: ClientConstructor<C>,
  addresses: readonly string[],
  tlsCaFile: string,
  messageBytes: number,
  reconnectBackoff: ClientConfig['reconnectBackoff'],
  log?: Logger,
): Tier<C> {
  const key = `${name}_addr` as const;
  const config: ClientConfig = {
    addresses,
    maxReceiveMessageBytes: messageBytes,
    maxSendMessageBytes: messageBytes,
    tlsCaFile: tlsCaFile || undefined,
    reconnectBackoff,
  };
  try {
    const address = addresses.join(',');
    return { name, address, client: createClient(Ctor, config), log: log?.child({ tier: name, address }) };
  } catch (err) {
    throw new ConfigError(`${gatewayOption(key)}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/**
 * Clients of the three downstream tiers (round-robin over each tier's replicas); `log` receives
 * their failures with the addresses clients are not told.
 */
export function createTiers(config: TierAddresses, log?: Logger): Tiers {
  const ca = config.downstream_tls_ca_file;
  const bytes = downstreamMessageBytes(config);
  const backoff = {
    initialMs: config.downstream_reconnect_initial_backoff_ms ?? DEFAULT_RECONNECT_BACKOFF.initialMs,
    maxMs: config.downstream_reconnect_max_backoff_ms ?? DEFAULT_RECONNECT_BACKOFF.maxMs,
  };
  if (backoff.initialMs > backoff.maxMs)
    throw new ConfigError(
      `${gatewayOption('downstream_reconnect_initial_backoff_ms')} (${backoff.initialMs}) must not exceed ${gatewayOption('downstream_reconnect_max_backoff_ms')} (${backoff.maxMs})`,
    );
  const made: Array<Tier<Client>> = [];
  const keep = <C extends Client>(t: Tier<C>): Tier<C> => (made.push(t), t);
  try {
    return {
      preprocess: keep(
        tier('preprocess', PreprocessServiceClient, config.preprocess_addr, ca, bytes, backoff, log),
      ),
      vision: keep(tier('vision', VisionServiceClient, config.vision_addr, ca, bytes, backoff, log)),
      llm: keep(tier('llm', LlmServiceClient, config.llm_addr, ca, bytes, backoff, log)),
    };
  } catch (err) {
    for (const t of made) t.client.close();
    throw err;
  }
}

export function closeTiers(tiers: Tiers): void {
  for (const t of [tiers.preprocess, tiers.vision, tiers.llm]) t.client.close();
}
