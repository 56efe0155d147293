import type { ChannelCredentials, ChannelOptions, Client } from '@grpc/grpc-js';
import { LlmServiceClient, PreprocessServiceClient, VisionServiceClient } from '@internvl/contracts';
import { ConfigError, createClient, type ClientConfig, type Logger } from '@internvl/service-kit';
import { ReplicaPool } from '@internvl/tier-clients';
import { gatewayOption } from '../gateway-config';
import { downstreamMessageBytes, type PublicLimits } from './downstream-limits';
import { downstreamTls, type DownstreamTls, type DownstreamTlsOptions } from './downstream-tls';
import type { Tier, TierName, Tiers } from './tier';

export interface TierAddresses extends PublicLimits, DownstreamTlsOptions {
  preprocess_addr: readonly string[];
  vision_addr: readonly string[];
  llm_addr: readonly string[];
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
  tls: DownstreamTls,
  messageBytes: number,
  reconnectBackoff: ClientConfig['reconnectBackoff'],
  log?: Logger,
): Tier<C> {
  const key = `${name}_addr` as const;
  const config: ClientConfig = {
    addresses,
    maxReceiveMessageBytes: messageBytes,
    maxSendMessageBytes: messageBytes,
    ...tls,
    reconnectBackoff,
  };
  try {
    const address = addresses.join(',');
    const client = createClient(Ctor, config);
    const replicas = new ReplicaPool<C>({
      addresses,
      // A replica dialed by the IP its DNS name resolved to is checked against that name's certificate.
      createClient: (target, dnsName) =>
        createClient(Ctor, {
          ...config,
          addresses: [target],
          tlsServerName: config.tlsServerName ?? dnsName,
        }),
    });
    return { name, address, client, replicas, log: log?.child({ tier: name, address }) };
  } catch (err) {
    throw new ConfigError(`${gatewayOption(key)}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/**
 * Clients of the three downstream tiers: one balanced over each tier's replicas (info calls,
 * health) and one per replica (routed chat calls); `log` receives their failures with the
 * addresses clients are not told.
 */
export function createTiers(config: TierAddresses, log?: Logger): Tiers {
  const tls = downstreamTls(config);
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
        tier('preprocess', PreprocessServiceClient, config.preprocess_addr, tls, bytes, backoff, log),
      ),
      vision: keep(tier('vision', VisionServiceClient, config.vision_addr, tls, bytes, backoff, log)),
      llm: keep(tier('llm', LlmServiceClient, config.llm_addr, tls, bytes, backoff, log)),
    };
  } catch (err) {
    for (const t of made) closeTier(t);
    throw err;
  }
}

function closeTier(t: Tier<Client>): void {
  t.client.close();
  t.replicas.close();
}

export function closeTiers(tiers: Tiers): void {
  for (const t of [tiers.preprocess, tiers.vision, tiers.llm]) closeTier(t);
}
