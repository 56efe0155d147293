import { ServerCredentials } from '@grpc/grpc-js';
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { ConfigError } from '../config/parse-config';
import { flagName } from '../config/schema';

/** The TLS options of a tier's gRPC port (common-schema keys). */
export interface ServerTlsConfig {
  readonly tls_cert_file: string;
  readonly tls_key_file: string;
  readonly tls_client_ca_file: string;
}

/** How an option is named in errors, e.g. "--tls-cert-file (INTERNVL_LLM_TLS_CERT_FILE)". */
export type OptionName = (key: string) => string;

/** A PEM file an option names; a missing or unreadable one is a ConfigError naming the option. */
export function readPemFile(path: string, option: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new ConfigError(`${option}: cannot read ${path}: ${(err as Error).message}`);
  }
}

/**
 * Credentials of a tier's gRPC port: plaintext with no option set; TLS with tls_cert_file and
 * tls_key_file; mutual TLS when tls_client_ca_file is set too — the handshake then requires a
 * client certificate signed by that CA and refuses every other caller. Files are read (and the
 * PEMs checked) now, so a bad option fails start-up with a ConfigError naming it.
 */
export function serverCredentials(
  config: ServerTlsConfig,
  optionName: OptionName = flagName,
): ServerCredentials {
  const { tls_cert_file: certFile, tls_key_file: keyFile, tls_client_ca_file: clientCaFile } = config;
  if (!certFile && !keyFile && !clientCaFile) return ServerCredentials.createInsecure();
  if (!certFile || !keyFile) {
    const given = [
      certFile && 'tls_cert_file',
      keyFile && 'tls_key_file',
      clientCaFile && 'tls_client_ca_file',
    ]
      .filter((k): k is string => Boolean(k))
      .map(optionName);
    throw new ConfigError(
      `${optionName('tls_cert_file')} and ${optionName('tls_key_file')} must both be set for TLS (given: ${given.join(', ')})`,
    );
  }
  const cert = readPemFile(certFile, optionName('tls_cert_file'));
  const key = readPemFile(keyFile, optionName('tls_key_file'));
  const clientCa = clientCaFile ? readPemFile(clientCaFile, optionName('tls_client_ca_file')) : null;
  try {
    createSecureContext({ cert, key, ...(clientCa && { ca: clientCa }) });
  } catch (err) {
    const options = ['tls_cert_file', 'tls_key_file', ...(clientCa ? ['tls_client_ca_file'] : [])];
    throw new ConfigError(`${options.map(optionName).join(', ')}: ${(err as Error).message}`);
  }
  return ServerCredentials.createSsl(clientCa, [{ cert_chain: cert, private_key: key }], clientCa !== null);
}
