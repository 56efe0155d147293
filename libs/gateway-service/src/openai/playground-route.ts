import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { notFoundRoute } from './openai-errors';
import type { Route } from './openai-router';

/**
 * The page's Content-Security-Policy: its own script, styles and API only; images it makes from
 * the user's files (blob:, data:); no inline script or style, no string-to-HTML sinks (Trusted
 * Types), no framing, no form posts elsewhere.
 */
export const PLAYGROUND_CSP = [
  "default-src 'self'",
  "img-src 'self' blob: data:",
  "style-src 'self'",
  "script-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "require-trusted-types-for 'script'",
].join('; ');

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

interface Asset {
  body: Buffer;
  /** Sent instead of `body` to clients that accept gzip, when smaller. */
  gzip: Buffer | undefined;
  contentType: string;
  etag: string;
}

/** The playground's built files, read once at start-up. */
export interface PlaygroundAssets {
  dir: string;
  files: ReadonlyMap<string, Asset>;
}

/** Where `@internvl/playground-web` keeps its built page (index.html, app.js, app.css). */
export function playgroundDir(): string {
  return join(dirname(require.resolve('@internvl/playground-web/package.json')), 'dist', 'public');
}

/**
 * Reads the built page into memory (it is ~70 kB), with an ETag and a gzip copy per file. Throws
 * when the folder has no index.html (the playground package was not built).
 */
export function loadPlaygroundAssets(dir: string = playgroundDir()): PlaygroundAssets {
  const files = new Map<string, Asset>();
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const contentType = CONTENT_TYPES[extname(name)];
    if (!contentType || !statSync(path).isFile()) continue;
    const body = readFileSync(path);
    const gzip = gzipSync(body, { level: 9 });
    files.set(name, {
      body,
      gzip: gzip.length < body.length ? gzip : undefined,
      contentType,
      etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`,
    });
  }
  if (!files.has('index.html')) {
    throw new Error(`${join(dir, 'index.html')} is missing: build @internvl/playground-web first`);
  }
  return { dir, files };
}

/**
 * GET / (and /playground): the page; GET /playground/{file}: its script and styles. No API key
 * is needed to load them (the page asks for one when the API answers 401). Responses carry the
 * CSP and an ETag; `Cache-Control: no-cache` makes browsers revalidate (304) so a new build shows
 * at once.
 */
export function playgroundRoutes(assets: PlaygroundAssets): Route[] {
  const index = assets.files.get('index.html')!;
  return [
    {
      pattern: /^\/(playground)?$/,
      template: '/',
      methods: { GET: ({ req, res }) => sendAsset(req, res, index) },
      public: true,
    },
    {
      pattern: /^\/playground\/(?<file>[^/]+)$/,
      template: '/playground/{file}',
      methods: {
        GET: ({ req, res, params }) => {
          const asset = assets.files.get(params.file);
          if (!asset) throw notFoundRoute(req.method ?? 'GET', req.url ?? '');
          sendAsset(req, res, asset);
        },
      },
      public: true,
    },
  ];
}

function sendAsset(req: IncomingMessage, res: ServerResponse, asset: Asset): void {
  const headers: Record<string, string | number> = {
    'content-type': asset.contentType,
    'cache-control': 'no-cache',
    etag: asset.etag,
    vary: 'accept-encoding',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cross-origin-opener-policy': 'same-origin',
    'content-security-policy': PLAYGROUND_CSP,
  };
  const tags = req.headers['if-none-match'];
  if (tags && tags.split(',').some((t) => t.trim().replace(/^W\//, '') === asset.etag)) {
    res.writeHead(304, headers).end();
    return;
  }
  const gzip = asset.gzip && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
  const body = gzip ? asset.gzip! : asset.body;
  if (gzip) headers['content-encoding'] = 'gzip';
  headers['content-length'] = body.length;
  res.writeHead(200, headers).end(body);
}
