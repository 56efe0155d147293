import { createHealthChecker, type Logger } from '@internvl/service-kit';
import type { TierName, Tiers } from './tier';

/** A tier the gateway cannot use now, and why. */
export interface DownTier {
  tier: TierName;
  address: string;
  reason: string;
}

/** Readiness of the gateway: every tier answered its last health check SERVING. */
export interface TierReadiness {
  ready: boolean;
  down: readonly DownTier[];
}

export interface TierHealthOptions {
  intervalMs: number;
  log: Logger;
  /** Called when readiness changes (and once after the first round of checks). */
  onChange?(readiness: TierReadiness): void;
}

/**
 * Checks each tier's grpc.health.v1 status ('' service) every `intervalMs` over the tier's own
 * channel. The checks keep the channels trying to connect, so a restarted tier is found again
 * within one reconnect backoff (bounded by the channel options).
 */
export class TierHealthWatcher {
  private current: TierReadiness;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private reported = false;
  private readonly checks: Array<{
    tier: TierName;
    address: string;
    check: (service: string, timeoutMs: number) => Promise<string>;
  }>;

  constructor(
    tiers: Tiers,
    private readonly options: TierHealthOptions,
  ) {
    this.checks = [tiers.preprocess, tiers.vision, tiers.llm].map((t) => ({
      tier: t.name,
      address: t.address,
      check: createHealthChecker(t.client),
    }));
    this.current = {
      ready: false,
      down: this.checks.map(({ tier, address }) => ({ tier, address, reason: 'not checked yet' })),
    };
  }

  get readiness(): TierReadiness {
    return this.current;
  }

  /** Checks now, then every intervalMs until stop(). */
  start(): void {
    void this.round();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  /** One round of checks; resolves with the readiness it found. */
  async round(): Promise<TierReadiness> {
    const timeoutMs = Math.max(this.options.intervalMs, 250);
    const results = await Promise.all(
      this.checks.map(async ({ tier, address, check }): Promise<DownTier | undefined> => {
        try {
          const status = await check('', timeoutMs);
          return status === 'SERVING' ? undefined : { tier, address, reason: `health ${status}` };
        } catch (err) {
          return { tier, address, reason: (err as { details?: string }).details || String(err) };
        }
      }),
    );
    const down = results.filter((d): d is DownTier => d !== undefined);
    this.update({ ready: down.length === 0, down });
    if (!this.stopped) {
      clearTimeout(this.timer);
      this.timer = setTimeout(() => void this.round(), this.options.intervalMs);
      this.timer.unref();
    }
    return this.current;
  }

  private update(next: TierReadiness): void {
    const before = this.current.down.map((d) => d.tier).join();
    const after = next.down.map((d) => d.tier).join();
    this.current = next;
    if (this.reported && before === after) return;
    this.reported = true;
    if (next.ready) this.options.log.info('every downstream tier is serving');
    else
      this.options.log.warn(
        { down: next.down },
        `downstream tier unreachable: ${next.down.map((d) => d.tier).join(', ')}`,
      );
    this.options.onChange?.(next);
  }
}
