import { lookup } from 'node:dns/promises';
import { connectivityState, type Client } from '@grpc/grpc-js';
import { rendezvousOrder } from './rendezvous';
import { ipTarget, replicaSource, type ReplicaSource } from './replica-targets';

/** One replica of a tier: its address and its own client (channel). */
export interface Replica<C> {
  target: string;
  client: C;
}

export interface ReplicaPoolOptions<C> {
  /** The tier's address option (a list of replicas or one name that resolves to them). */
  addresses: readonly string[];
  /**
   * A client for one replica's target; `dnsName` is the name it was resolved from (the name its
   * TLS certificate carries), undefined for a configured address.
   */
  createClient: (target: string, dnsName?: string) => C;
  /** How often a DNS name is resolved again (pods come and go); default 5 s. */
  refreshMs?: number;
  /** Resolves a host to its addresses (default: the system resolver, every record). */
  resolve?: (host: string) => Promise<string[]>;
}

const DEFAULT_REFRESH_MS = 5_000;

async function systemResolve(host: string): Promise<string[]> {
  return (await lookup(host, { all: true })).map((a) => a.address);
}

/**
 * A tier's replicas, each with its own channel, so the gateway chooses the replica of every call:
 * by a key (rendezvous hashing: the same image or conversation goes to the same replica, whose
 * cache holds it) or in turn. A DNS name is re-resolved in the background and replicas are added
 * and closed as its records change. Replicas whose channel is failing go last in every order.
 */
export class ReplicaPool<C extends Client> {
  private replicas = new Map<string, Replica<C>>();
  private readonly source: ReplicaSource;
  private timer: NodeJS.Timeout | undefined;
  private turn = 0;
  private closed = false;

  constructor(private readonly options: ReplicaPoolOptions<C>) {
    this.source = replicaSource(options.addresses);
    // Until the name resolves, the name itself is the one replica (grpc-js resolves it too).
    const initial = this.source.kind === 'static' ? this.source.targets : [options.addresses[0]!];
    this.update(initial);
    if (this.source.kind === 'dns') {
      void this.refresh();
    }
  }

  /** Every replica's target, in a stable order. */
  get targets(): string[] {
    return [...this.replicas.keys()].sort();
  }

  /**
   * The replicas to try for one call, best first: by rendezvous rank of `key`, or in turn without
   * a key; failing replicas last.
   */
  candidates(key?: string): Replica<C>[] {
    const targets = this.targets;
    let order: string[];
    if (key !== undefined) order = rendezvousOrder(key, targets);
    else {
      const start = this.turn++ % Math.max(1, targets.length);
      order = [...targets.slice(start), ...targets.slice(0, start)];
    }
    const replicas = order.map((t) => this.replicas.get(t)!);
    const failing = (r: Replica<C>) =>
      r.client.getChannel().getConnectivityState(false) === connectivityState.TRANSIENT_FAILURE;
    return [...replicas.filter((r) => !failing(r)), ...replicas.filter(failing)];
  }

  /** Resolves the DNS name again now (also done every refreshMs). */
  async refresh(): Promise<void> {
    if (this.source.kind !== 'dns' || this.closed) return;
    const { host, port } = this.source;
    clearTimeout(this.timer);
    try {
      const ips = [...new Set(await (this.options.resolve ?? systemResolve)(host))];
      // An empty answer keeps what we have: a name with no records is an outage, not a scale-in.
      if (ips.length > 0 && !this.closed) this.update(ips.map((ip) => ipTarget(ip, port)));
    } catch {
      // Resolution failed: keep the replicas we know; the next round tries again.
    }
    if (!this.closed) {
      this.timer = setTimeout(() => void this.refresh(), this.options.refreshMs ?? DEFAULT_REFRESH_MS);
      this.timer.unref();
    }
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    for (const r of this.replicas.values()) r.client.close();
    this.replicas.clear();
  }

  private update(targets: readonly string[]): void {
    const next = new Map<string, Replica<C>>();
    for (const target of targets) {
      const dnsName =
        this.source.kind === 'dns' && target !== this.options.addresses[0] ? this.source.host : undefined;
      next.set(
        target,
        this.replicas.get(target) ?? { target, client: this.options.createClient(target, dnsName) },
      );
    }
    for (const [target, replica] of this.replicas) if (!next.has(target)) replica.client.close();
    this.replicas = next;
  }
}
