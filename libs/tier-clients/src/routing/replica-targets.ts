import { isIP } from 'node:net';

/** How a tier's address option names its replicas. */
export type ReplicaSource =
  | { kind: 'static'; targets: string[] }
  /** One DNS name whose records are the replicas (a headless Kubernetes Service). */
  | { kind: 'dns'; host: string; port: string };

/** A grpc target scheme other than dns (unix:, ipv4:, ipv6:, xds: ...), not `host:port`. */
const OTHER_SCHEME = /^(?!dns:)[a-z][a-z0-9+.-]*:(?!\d+$)/i;

/**
 * Reads an address option: several `host:port` entries are the replicas themselves; one IP
 * literal (or a unix socket, or a scheme other than dns) is one replica; one host name — bare or
 * `dns:///host:port` — is resolved to every address it has, each one replica.
 */
export function replicaSource(addresses: readonly string[]): ReplicaSource {
  if (addresses.length !== 1) return { kind: 'static', targets: [...addresses] };
  const single = addresses[0]!;
  if (OTHER_SCHEME.test(single)) return { kind: 'static', targets: [single] };
  const address = single.replace(/^dns:(\/\/[^/]*)?\/?/i, '');
  const colon = address.lastIndexOf(':');
  if (colon <= 0) return { kind: 'static', targets: [single] };
  const host = address.slice(0, colon).replace(/^\[|\]$/g, '');
  const port = address.slice(colon + 1);
  if (isIP(host) !== 0 || host === 'localhost') return { kind: 'static', targets: [single] };
  return { kind: 'dns', host, port };
}

/** `ip:port` as a grpc-js target (IPv6 in brackets). */
export function ipTarget(ip: string, port: string): string {
  return isIP(ip) === 6 ? `[${ip}]:${port}` : `${ip}:${port}`;
}
