import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestCert {
  dir: string;
  certFile: string;
  keyFile: string;
  cert: Buffer;
}

/**
 * A throw-away self-signed certificate for 127.0.0.1 and localhost, made with the openssl CLI
 * (Node cannot issue certificates); undefined where openssl is missing, so TLS specs skip.
 */
export function makeSelfSignedCert(): TestCert | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'gateway-tls-'));
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  const made = spawnSync(
    'openssl',
    [
      ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'],
      ...['-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'],
      ...['-keyout', keyFile, '-out', certFile],
    ],
    { stdio: 'ignore' },
  );
  if (made.error || made.status !== 0) return undefined;
  return { dir, certFile, keyFile, cert: readFileSync(certFile) };
}
