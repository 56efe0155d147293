import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TEST_TLS } from '../openai/testing/test-tls';

export interface TestCertFiles {
  dir: string;
  certFile: string;
  keyFile: string;
  cert: Buffer;
}

/** The specs' self-signed localhost certificate as PEM files, for options that take file paths. */
export function writeTestCertFiles(): TestCertFiles {
  const dir = mkdtempSync(join(tmpdir(), 'gateway-tls-'));
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  writeFileSync(certFile, TEST_TLS.cert);
  writeFileSync(keyFile, TEST_TLS.key);
  return { dir, certFile, keyFile, cert: TEST_TLS.cert };
}
