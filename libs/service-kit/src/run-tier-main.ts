import { runService, serviceHelp, type RunOptions } from './run-service';
import type { Schema } from './config/schema';
import type { ServiceApp } from './run-service';

/**
 * The body of a tier's `main.ts` (after telemetry started): `--help` prints the options;
 * otherwise the tier runs until SIGTERM/SIGINT, and a failure to start exits 1 naming the tier.
 */
export function runTierMain<S extends Schema>(
  app: ServiceApp<S>,
  metricsHandler: RunOptions['metricsHandler'],
): void {
  const argv = process.argv.slice(2);
  if (argv.includes('--help')) {
    process.stdout.write(serviceHelp(app) + '\n');
    process.exit(0);
  }
  runService(app, { argv, env: process.env, metricsHandler, handleSignals: true }).catch((err: unknown) => {
    process.stderr.write(`${app.name}: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
