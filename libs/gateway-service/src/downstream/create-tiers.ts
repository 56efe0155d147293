import type { ChannelCredentials, ChannelOptions, Client } from '@grpc/grpc-js';
import { LlmServiceClient, PreprocessServiceClient, VisionServiceClient } from '@internvl/contracts';
import { ConfigError, createClient, type ClientConfig } from '@internvl/service-kit';
import { gatewayOption } from '../gateway-config';
import { downstreamMessageBytes, type PublicLimits } from './downstream-limits';
import type { Tier, TierName, Tiers } from './tier';

export interface TierAddresses extends PublicLimits {
  preprocess_addr: readonly string[];
  vision_addr: readonly string[];
  llm_addr: readonly string[];
  downstream_tls_ca_file: string;
}

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
): Tier<C> {
  const key = `${name}_addr` as const;
  const config: ClientConfig = {
    addresses,
    maxReceiveMessageBytes: messageBytes,
    maxSendMessageBytes: messageBytes,
    tlsCaFile: tlsCaFile || undefined,
  };
  try {
    return { name, address: addresses.join(','), client: createClient(Ctor, config) };
  } catch (err) {
    throw new ConfigError(`${gatewayOption(key)}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** Clients of the three downstream tiers (round-robin over each tier's replicas). */
export function createTiers(config: TierAddresses): Tiers {
  const ca = config.downstream_tls_ca_file;
  const bytes = downstreamMessageBytes(config);
  const made: Array<Tier<Client>> = [];
  const keep = <C extends Client>(t: Tier<C>): Tier<C> => (made.push(t), t);
  try {
    return {
      preprocess: keep(tier('preprocess', PreprocessServiceClient, config.preprocess_addr, ca, bytes)),
      vision: keep(tier('vision', VisionServiceClient, config.vision_addr, ca, bytes)),
      llm: keep(tier('llm', LlmServiceClient, config.llm_addr, ca, bytes)),
    };
  } catch (err) {
    for (const t of made) t.client.close();
    throw err;
  }
}

export function closeTiers(tiers: Tiers): void {
  for (const t of [tiers.preprocess, tiers.vision, tiers.llm]) t.client.close();
}
