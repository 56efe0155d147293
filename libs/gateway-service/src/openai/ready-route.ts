import type { TierReadiness } from '../downstream/tier-health';
import { sendJson } from './http-json';
import type { Route } from './openai-router';

/**
 * GET /ready: 200 when every downstream tier answered its last health check SERVING, else 503
 * naming the tiers that did not. Needs no API key (load balancers probe it), so it names tiers
 * only: their addresses and the reasons stay in the gateway's log. GET /health stays liveness:
 * 200 while the process runs.
 */
export function readyRoute(readiness: () => TierReadiness): Route {
  return {
    pattern: /^\/ready$/,
    template: '/ready',
    methods: {
      GET: ({ res }) => {
        const { ready, down } = readiness();
        if (ready) return sendJson(res, 200, { status: 'ready' });
        const tiers = down.map((d) => d.tier);
        sendJson(res, 503, {
          status: 'unavailable',
          message: `downstream tier unreachable: ${tiers.join(', ')}`,
          down: tiers,
        });
      },
    },
    public: true,
  };
}
