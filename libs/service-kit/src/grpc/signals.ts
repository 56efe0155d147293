import type { Logger } from '../logging/logger';

/**
 * SIGTERM/SIGINT start a graceful shutdown; a second signal forces it. `stop` receives `force`.
 * Exits the process once `stop` resolves.
 */
export function exitOnSignals(stop: (reason: string, force: boolean) => Promise<void>, log: Logger): void {
  let count = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    count += 1;
    const force = count > 1;
    log.info(
      { signal, force },
      force ? 'second signal: forcing shutdown' : 'signal received: graceful shutdown',
    );
    stop(signal, force).then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
