import { metrics, type Meter } from '@opentelemetry/api';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { METRIC_ATTR, METRIC_BUCKETS, METRIC_NAME, SCOPE_NAME, toGrpcStatus } from '@internvl/service-kit';

const NAME = METRIC_NAME.gateway;
const { route: ROUTE, status: STATUS } = METRIC_ATTR.gateway;

/** HTTP methods kept as they are in the route label; any other is `_OTHER` (bounded labels). */
const HTTP_METHODS = new Set([
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'DELETE',
  'PATCH',
  'OPTIONS',
  'CONNECT',
  'TRACE',
]);

/** The route label of an HTTP request: method and route template, `unmatched` for an unknown path. */
export function httpRouteLabel(method: string, template: string | undefined): string {
  return `${HTTP_METHODS.has(method) ? method : '_OTHER'} ${template ?? 'unmatched'}`;
}

/** The status label of a gRPC call that failed with `err` (`CANCELLED`, `INVALID_ARGUMENT`, ...). */
export function grpcStatusLabel(err: unknown): string {
  return GrpcStatus[toGrpcStatus(err).status.code] ?? 'UNKNOWN';
}

/** One request being measured: its time to first token (streamed answers) and its end. */
export interface RequestMeasure {
  /** The first generated text went out to the client; later calls do nothing. */
  firstToken(): void;
  /** The request is answered with `status`; later calls do nothing. */
  end(status: string): void;
}

/**
 * Prometheus-facing metrics of the gateway, as its clients see it: requests by route and status,
 * their duration, and the time to first token of streamed answers (from the request's arrival to
 * the first text written to the client), in seconds with the GenAI buckets.
 */
export class GatewayMetrics {
  private readonly requests;
  private readonly duration;
  private readonly ttft;

  constructor(meter: Meter = metrics.getMeter(SCOPE_NAME.gateway)) {
    this.requests = meter.createCounter(NAME.requests, {
      description:
        'Requests answered, by route (gRPC method or HTTP route) and status (gRPC code or HTTP status).',
      unit: '{request}',
    });
    this.duration = meter.createHistogram(NAME.requestDuration, {
      description: 'Time from request arrival to its end (the last byte of the answer), by route and status.',
      unit: 's',
      advice: { explicitBucketBoundaries: [...METRIC_BUCKETS.requestDuration] },
    });
    this.ttft = meter.createHistogram(NAME.timeToFirstToken, {
      description:
        'Time from request arrival to the first generated text written to the client (streamed answers), by route.',
      unit: 's',
      advice: { explicitBucketBoundaries: [...METRIC_BUCKETS.timeToFirstToken] },
    });
  }

  /** Starts measuring a request on `route` (see `internvl.gateway.route`), arrived now. */
  request(route: string): RequestMeasure {
    const start = performance.now();
    let sawFirstToken = false;
    let ended = false;
    const seconds = () => (performance.now() - start) / 1000;
    return {
      firstToken: () => {
        if (sawFirstToken || ended) return;
        sawFirstToken = true;
        this.ttft.record(seconds(), { [ROUTE]: route });
      },
      end: (status) => {
        if (ended) return;
        ended = true;
        const attributes = { [ROUTE]: route, [STATUS]: status };
        this.requests.add(1, attributes);
        this.duration.record(seconds(), attributes);
      },
    };
  }
}

/** Measures nothing (no metrics given). */
export const NO_MEASURE: RequestMeasure = { firstToken: () => undefined, end: () => undefined };
