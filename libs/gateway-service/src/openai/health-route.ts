import { sendJson } from './http-json';
import type { Route } from './openai-router';

/** GET /health: the HTTP front door is up. Needs no API key so load balancers can probe it. */
export const healthRoute: Route = {
  pattern: /^\/health$/,
  template: '/health',
  methods: { GET: ({ res }) => sendJson(res, 200, { status: 'ok' }) },
  public: true,
};
