import { createSecureContext } from 'node:tls';
import { ConfigError, readPemFile, type ClientConfig } from '@internvl/service-kit';
import { gatewayOption } from '../gateway-config';

/** The gateway's TLS options for its calls to the tiers (absent = empty). */
export interface DownstreamTlsOptions {
  downstream_tls_ca_file: string;
  downstream_tls_cert_file?: string;
  downstream_tls_key_file?: string;
  downstream_tls_server_name?: string;
}

export type DownstreamTls = Pick<ClientConfig, 'tlsCaFile' | 'tlsCertFile' | 'tlsKeyFile' | 'tlsServerName'>;

/**
 * The TLS part of every tier channel's ClientConfig: plaintext, TLS verified against
 * downstream_tls_ca_file, or mutual TLS with the client certificate. Checked at start-up: a
 * certificate without its key (or either without the CA), a server name without TLS, and a file
 * that cannot be read are ConfigErrors naming the options.
 */
export function downstreamTls(config: DownstreamTlsOptions): DownstreamTls {
  const ca = config.downstream_tls_ca_file;
  const cert = config.downstream_tls_cert_file ?? '';
  const key = config.downstream_tls_key_file ?? '';
  const serverName = config.downstream_tls_server_name ?? '';
  const caOption = gatewayOption('downstream_tls_ca_file');
  if (Boolean(cert) !== Boolean(key))
    throw new ConfigError(
      `${gatewayOption('downstream_tls_cert_file')} and ${gatewayOption('downstream_tls_key_file')} go together (the client certificate and its key)`,
    );
  if (!ca) {
    const needsCa = [cert && 'downstream_tls_cert_file', serverName && 'downstream_tls_server_name'].filter(
      (k): k is 'downstream_tls_cert_file' | 'downstream_tls_server_name' => Boolean(k),
    );
    if (needsCa.length > 0)
      throw new ConfigError(`${needsCa.map(gatewayOption).join(' and ')} need TLS: set ${caOption} too`);
    return {};
  }
  const pems = {
    ca: readPemFile(ca, caOption),
    ...(cert && {
      cert: readPemFile(cert, gatewayOption('downstream_tls_cert_file')),
      key: readPemFile(key, gatewayOption('downstream_tls_key_file')),
    }),
  };
  try {
    createSecureContext(pems);
  } catch (err) {
    const options = cert
      ? (['downstream_tls_ca_file', 'downstream_tls_cert_file', 'downstream_tls_key_file'] as const)
      : (['downstream_tls_ca_file'] as const);
    throw new ConfigError(`${options.map((k) => gatewayOption(k)).join(', ')}: ${(err as Error).message}`);
  }
  return {
    tlsCaFile: ca,
    ...(cert && { tlsCertFile: cert, tlsKeyFile: key }),
    ...(serverName && { tlsServerName: serverName }),
  };
}
