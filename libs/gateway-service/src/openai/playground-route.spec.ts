import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadPlaygroundAssets, PLAYGROUND_CSP, playgroundDir } from './playground-route';
import { startTestServer, type TestServer } from './testing/openai-test-server';

const HTML = '<!doctype html><title>t</title><script type="module" src="/playground/app.js"></script>';
const JS = `console.log(${JSON.stringify('x'.repeat(4000))});`;

/** A raw GET (fetch would undo the gzip and hide the encoding). */
function rawGet(
  url: string,
  headers: Record<string, string> = {},
  method = 'GET',
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the playground on the HTTP port', () => {
  const dir = mkdtempSync(join(tmpdir(), 'playground-spec-'));
  let server: TestServer;
  before(async () => {
    writeFileSync(join(dir, 'index.html'), HTML);
    writeFileSync(join(dir, 'app.js'), JS);
    writeFileSync(join(dir, 'app.css'), 'body{margin:0}');
    writeFileSync(join(dir, 'notes.txt'), 'not served');
    mkdirSync(join(dir, 'sub'));
    server = await startTestServer({ apiKeys: ['sk-test'], playground: loadPlaygroundAssets(dir) });
  });
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('GET / is the page, with the CSP, no-sniff, an ETag and no API key needed', async () => {
    const res = await rawGet(`${server.url}/`);
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-type'], 'text/html; charset=utf-8');
    assert.equal(res.headers['content-security-policy'], PLAYGROUND_CSP);
    assert.match(PLAYGROUND_CSP, /script-src 'self'; connect-src 'self'/);
    assert.doesNotMatch(PLAYGROUND_CSP, /unsafe-inline|unsafe-eval/);
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
    assert.equal(res.headers['cache-control'], 'no-cache');
    assert.match(String(res.headers.etag), /^"[\w-]{27}"$/);
    assert.equal(res.body.toString(), HTML);
    // The API itself still needs the key.
    assert.equal((await rawGet(`${server.url}/v1/models`)).status, 401);
    assert.equal((await rawGet(`${server.url}/playground`)).body.toString(), HTML);
  });

  test('assets: content types, gzip when accepted, 304 on a matching ETag, HEAD without a body', async () => {
    const js = await rawGet(`${server.url}/playground/app.js`);
    assert.equal(js.headers['content-type'], 'text/javascript; charset=utf-8');
    assert.equal(js.body.toString(), JS);
    const zipped = await rawGet(`${server.url}/playground/app.js`, { 'accept-encoding': 'br, gzip' });
    assert.equal(zipped.headers['content-encoding'], 'gzip');
    assert.ok(zipped.body.length < JS.length / 10, `gzip body of ${zipped.body.length} bytes`);
    assert.equal(zipped.headers.vary, 'accept-encoding');
    const css = await rawGet(`${server.url}/playground/app.css`);
    assert.equal(css.headers['content-type'], 'text/css; charset=utf-8');
    const again = await rawGet(`${server.url}/playground/app.js`, {
      'if-none-match': `"other", W/${String(js.headers.etag)}`,
    });
    assert.equal(again.status, 304);
    assert.equal(again.body.length, 0);
    const head = await rawGet(`${server.url}/`, {}, 'HEAD');
    assert.equal(head.status, 200);
    assert.equal(head.body.length, 0);
    assert.equal(head.headers['content-length'], String(HTML.length));
  });

  test('unknown files, other types and other paths are 404', async () => {
    for (const path of [
      '/playground/notes.txt',
      '/playground/sub',
      '/playground/missing.js',
      '/index.html',
    ]) {
      const res = await rawGet(`${server.url}${path}`);
      assert.equal(res.status, 404, path);
    }
    assert.equal((await rawGet(`${server.url}/playground/..%2Fnotes.txt`)).status, 404);
  });

  test('without the playground (--no-playground) / is a 404', async () => {
    const plain = await startTestServer();
    try {
      const res = await rawGet(`${plain.url}/`);
      assert.equal(res.status, 404);
      assert.match(JSON.parse(res.body.toString()).error.message, /Invalid URL \(GET \/\)/);
    } finally {
      await plain.close();
    }
  });

  test('a folder without index.html is refused, naming the package to build', () => {
    const empty = mkdtempSync(join(tmpdir(), 'playground-empty-'));
    try {
      assert.throws(
        () => loadPlaygroundAssets(empty),
        /index\.html is missing: build @internvl\/playground-web/,
      );
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  test('the built playground: three files, and no inline script or style in the page', () => {
    const assets = loadPlaygroundAssets(playgroundDir());
    assert.deepEqual([...assets.files.keys()].sort(), ['app.css', 'app.js', 'index.html']);
    const html = assets.files.get('index.html')!.body.toString();
    for (const tag of html.match(/<script\b[^>]*>/g) ?? []) assert.match(tag, /src="\/playground\/app\.js"/);
    assert.doesNotMatch(html, /<style\b|\sstyle=|\son[a-z]+=/i);
    assert.match(html, /<link rel="stylesheet" href="\/playground\/app\.css" \/>/);
  });
});
