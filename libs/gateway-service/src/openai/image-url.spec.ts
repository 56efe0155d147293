import { strict as assert } from 'node:assert';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { loadImageUrl, type ImageUrlPolicy } from './image-url';
import { InvalidRequestError } from './openai-errors';

const PARAM = 'messages[0].content[0].image_url.url';
const IMAGE = Buffer.from('not really a png, the preprocess tier decodes it');
const policy = (over: Partial<ImageUrlPolicy> = {}): ImageUrlPolicy => ({
  remoteImageHosts: [],
  maxRemoteBytes: 1024,
  remoteTimeoutMs: 2_000,
  ...over,
});

async function rejects(url: string, message: RegExp, over: Partial<ImageUrlPolicy> = {}) {
  await assert.rejects(loadImageUrl(url, PARAM, policy(over)), (err: unknown) => {
    assert.ok(err instanceof InvalidRequestError, `expected InvalidRequestError, got ${String(err)}`);
    assert.match(err.message, message);
    assert.equal(err.param, PARAM);
    return true;
  });
}

describe('data: URLs', () => {
  test('base64 image data URLs decode to their bytes', async () => {
    const url = `data:image/png;base64,${IMAGE.toString('base64')}`;
    assert.deepEqual(await loadImageUrl(url, PARAM, policy()), IMAGE);
    const urlsafe = `data:image/jpeg;name=a.jpg;base64,${IMAGE.toString('base64url')}`;
    assert.deepEqual(await loadImageUrl(urlsafe, PARAM, policy()), IMAGE);
  });

  test('non-base64, non-image and empty data URLs are refused', async () => {
    await rejects('data:image/png,rawbytes', /must be base64/);
    await rejects('data:text/plain;base64,aGk=', /media type 'text\/plain'; expected an image type/);
    await rejects('data:image/png;base64,!!!', /not valid base64/);
    await rejects('data:image/png;base64,', /holds no image bytes/);
  });
});

describe('remote URLs are refused unless their host is allowed (SSRF)', () => {
  let server: Server;
  let host: string;
  const hits: string[] = [];

  before(async () => {
    server = createServer((req, res) => {
      hits.push(req.url ?? '');
      if (req.url === '/cat.png') return res.end(IMAGE);
      if (req.url === '/big.png') return res.end(Buffer.alloc(4096));
      if (req.url === '/away') return res.writeHead(302, { location: 'http://169.254.169.254/secret' }).end();
      if (req.url === '/to-file') return res.writeHead(302, { location: 'file:///etc/passwd' }).end();
      if (req.url === '/hop') return res.writeHead(302, { location: '/cat.png' }).end();
      if (req.url === '/slow') return res.writeHead(200).write('partial');
      res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  test('with no allowed hosts the message says how to send the image instead', async () => {
    await rejects(
      `http://${host}/cat.png`,
      /Remote image URLs are turned off.*data: URL.*--remote-image-hosts/,
    );
    assert.deepEqual(hits, []);
  });

  test('a host that is not on the list is refused without a request', async () => {
    await rejects(`http://${host}/cat.png`, /Image host '127\.0\.0\.1:\d+' is not allowed/, {
      remoteImageHosts: ['images.example.com'],
    });
    await rejects('file:///etc/passwd', /scheme 'file:' are not supported/, {
      remoteImageHosts: ['127.0.0.1'],
    });
    await rejects('not a url', /neither a data: URL nor a valid http\(s\) URL/);
    assert.deepEqual(hits, []);
  });

  test('an allowed host is fetched, by host:port or by name', async () => {
    assert.deepEqual(
      await loadImageUrl(`http://${host}/cat.png`, PARAM, policy({ remoteImageHosts: [host] })),
      IMAGE,
    );
    const byName = policy({ remoteImageHosts: ['127.0.0.1'] });
    assert.deepEqual(await loadImageUrl(`http://${host}/hop`, PARAM, byName), IMAGE);
  });

  test('size limit, error status, redirect off the list and timeout are 400s that say why', async () => {
    const allowed = { remoteImageHosts: [host] };
    await rejects(`http://${host}/big.png`, /larger than the limit of 1024 bytes/, allowed);
    await rejects(`http://${host}/missing.png`, /answered HTTP 404/, allowed);
    await rejects(
      `http://${host}/away`,
      /redirected to 169\.254\.169\.254, which is not an allowed image host/,
      allowed,
    );
    // Issue #13 (11): a redirect to file: named an empty host.
    await rejects(
      `http://${host}/to-file`,
      /redirected to file:\/\/\/etc\/passwd: scheme 'file:' is not followed \(only http\(s\) redirects/,
      allowed,
    );
    await rejects(`http://${host}/slow`, /no complete answer within 50 ms/, {
      ...allowed,
      remoteTimeoutMs: 50,
    });
  });

  test('an aborted request signal stops the fetch with the abort reason', async () => {
    const controller = new AbortController();
    const pending = loadImageUrl(
      `http://${host}/slow`,
      PARAM,
      policy({ remoteImageHosts: [host], signal: controller.signal }),
    );
    controller.abort();
    await assert.rejects(pending, { name: 'CancelledError' });
  });
});
