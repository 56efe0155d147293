import { strict as assert } from 'node:assert';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Ajv from 'ajv';
import puppeteer, { type Browser, type HTTPRequest, type Page } from 'puppeteer-core';
import { readImageHeader } from '@internvl/image-format';
import { planTiles } from '@internvl/imaging';
import { ID_CARD_SCHEMA } from '@internvl/playground-web/dist/id-card';
import { PROMETHEUS_NAME } from '@internvl/service-kit';
import { FIXTURES } from './support/paths';
import { metricValue, startGateway, startStack, type Stack } from './support/stack';
import { buildTinyModel, TINY_MODEL_NAME } from './support/tiny-model';

// The playground page in headless Chromium (Debian's package, never a downloaded browser) against
// the four tiers as processes: the flow of issue #16, checked in the DOM and on the server.

const CHROMIUM = process.env.INTERNVL_CHROMIUM ?? '/usr/bin/chromium';
const VIEWPORT = { width: 1280, height: 900 };
/** Screenshots of each state, checked below; one of them is docs/playground.png. */
const SHOTS = join(__dirname, 'playground-shots');
const IMAGE = join(FIXTURES, 'images', 'image1.jpg');
const PNG = join(FIXTURES, 'images', 'small_300x200.png');
const TOKENS_PER_TILE = 256;

const LAST_ANSWER = 'article[data-role=assistant]:last-of-type';

// The page's globals, for the functions puppeteer runs inside the page (this project compiles
// for Node, without the DOM library).
/* eslint-disable @typescript-eslint/no-explicit-any */
declare const document: any;
declare const window: any;
declare const DataTransfer: any;
declare const DragEvent: any;
declare const ClipboardEvent: any;
declare const MutationObserver: any;
declare const File: any;
/* eslint-enable @typescript-eslint/no-explicit-any */

interface SentChat {
  body: {
    messages: {
      role: string;
      content: string | { type: string; text?: string; image_url?: { url: string; max_num: number } }[];
    }[];
    max_tokens?: number;
    response_format?: { type: string; json_schema?: { name: string; strict: boolean } };
  };
  authorization: string | undefined;
}

describe('the playground in headless Chromium against the four-process stack', () => {
  let stack: Stack;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];
  const chats: SentChat[] = [];
  const shots: string[] = [];

  const cancelled = async () =>
    (await metricValue(stack.llm.metricsPort!, PROMETHEUS_NAME.llm.sequences, 'cancelled')) ?? 0;

  async function newPage(): Promise<Page> {
    const p = await browser.newPage();
    await p.setViewport(VIEWPORT);
    p.on('pageerror', (err) => pageErrors.push(String(err)));
    // A CSP violation or a failed script shows up as a console error.
    p.on('console', (msg) => {
      if (
        msg.type() === 'error' &&
        !/Failed to load resource: the server responded with a status of 4\d\d/.test(msg.text())
      )
        pageErrors.push(msg.text());
    });
    p.on('request', (req: HTTPRequest) => {
      if (req.method() !== 'POST' || !req.url().endsWith('/v1/chat/completions')) return;
      chats.push({ body: JSON.parse(req.postData() ?? '{}'), authorization: req.headers().authorization });
    });
    return p;
  }

  async function shot(name: string, p: Page = page): Promise<void> {
    const path = join(SHOTS, `${name}.png`);
    await p.screenshot({ path });
    shots.push(path);
  }

  async function fill(selector: string, value: string, p: Page = page): Promise<void> {
    await p.$eval(selector, (el) => (el.value = ''));
    await p.type(selector, value);
  }

  async function ask(question: string, p: Page = page): Promise<void> {
    await fill('#prompt', question, p);
    await p.focus('#prompt');
    await p.keyboard.press('Enter');
  }

  const answers = (p: Page = page) => p.$$eval('article[data-role=assistant]', (els) => els.length);
  const lastState = (p: Page = page) => p.$eval(LAST_ANSWER, (el) => el.dataset.state ?? '');
  const lastText = (p: Page = page) => p.$eval(`${LAST_ANSWER} .answer`, (el) => el.textContent ?? '');
  const stat = async (key: string, p: Page = page) =>
    parseFloat(await p.$eval(`${LAST_ANSWER} dd[data-stat=${key}]`, (el) => el.textContent));

  async function waitForAnswer(count: number, state: string, p: Page = page): Promise<void> {
    await p.waitForFunction(
      (n, s, sel) =>
        document.querySelectorAll('article[data-role=assistant]').length === n &&
        document.querySelector(sel)?.dataset.state === s,
      { timeout: 60_000 },
      count,
      state,
      LAST_ANSWER,
    );
  }

  /** A direct call to the API, as any client: the reference for what the page sent and got. */
  async function api(body: Record<string, unknown>) {
    const res = await fetch(`${stack.httpBase}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: TINY_MODEL_NAME, ...body }),
    });
    return {
      status: res.status,
      json: (await res.json()) as {
        choices: { message: { content: string } }[];
        usage: {
          prompt_tokens: number;
          prompt_tokens_details: { cached_tokens: number; image_tokens: number };
        };
        error?: { message: string };
      },
    };
  }

  before(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `${CHROMIUM} is missing: these tests drive Debian's headless Chromium (apt-get install -y chromium, ` +
          'as .ci/run does) or the browser INTERNVL_CHROMIUM names',
      );
    }
    rmSync(SHOTS, { recursive: true, force: true });
    mkdirSync(SHOTS, { recursive: true });
    const [started, launched] = await Promise.all([
      buildTinyModel().then((model) => startStack(model)),
      puppeteer.launch({
        executablePath: CHROMIUM,
        headless: true,
        args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu', '--font-render-hinting=none'],
      }),
    ]);
    stack = started;
    browser = launched;
    page = await newPage();
  });
  after(async () => {
    await browser?.close();
    await stack?.stop();
  });

  test('the gateway serves the page at / with its CSP; it connects to the API and labels every control', async () => {
    const res = await page.goto(`${stack.httpBase}/`, { waitUntil: 'networkidle0' });
    assert.equal(res?.status(), 200);
    const csp = res!.headers()['content-security-policy'];
    assert.match(csp, /default-src 'self'/);
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.doesNotMatch(csp, /unsafe-inline/);
    await page.waitForFunction(
      (name) => document.getElementById('model-name')?.textContent === name,
      { timeout: 10_000 },
      TINY_MODEL_NAME,
    );
    assert.ok(stack.gateway.logs.some((l) => l.msg === `playground at ${stack.httpBase}/`));
    const unlabelled = await page.$$eval('input, textarea, button, select', (els) =>
      els
        .filter((el) => {
          const c = el;
          const labels: { textContent: string | null }[] = Array.from(c.labels ?? []);
          const name =
            c.getAttribute('aria-label') ||
            labels.map((l) => l.textContent).join('') ||
            (c.tagName === 'BUTTON' ? c.textContent : '');
          return !name?.trim();
        })
        .map((el) => el.outerHTML),
    );
    assert.deepEqual(unlabelled, []);
    await shot('01-empty');
  });

  test('images from the file picker, a drop and a paste show their tile grid as the server plans it', async () => {
    const { width, height } = readImageHeader(readFileSync(IMAGE))!;
    const input = await page.$('#file-input');
    await input!.uploadFile(IMAGE);
    await page.waitForSelector('.attachment .tiles');
    const tiles = () => page.$$eval('.attachment .tiles', (els) => els.map((e) => e.dataset.tiles));
    assert.deepEqual(await tiles(), [String(planTiles(width, height, { maxNum: 12 }).numTiles)]);
    // The per-image control: 6 tiles at most.
    await fill('.attachment input[type=number]', '6');
    const plan = planTiles(width, height, { maxNum: 6 });
    assert.deepEqual(await tiles(), [String(plan.numTiles)]);
    assert.equal(
      await page.$$eval('.attachment .tile-grid span', (els) => els.length),
      plan.grid.cols * plan.grid.rows,
    );
    // Drag and drop, and paste, add images too.
    const png = readFileSync(PNG).toString('base64');
    await page.evaluate(async (b64) => {
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const file = (name: string) => new File([bytes], name, { type: 'image/png' });
      const drop = new DataTransfer();
      drop.items.add(file('dropped.png'));
      document
        .getElementById('conversation')!
        .dispatchEvent(new DragEvent('drop', { dataTransfer: drop, bubbles: true, cancelable: true }));
      const paste = new DataTransfer();
      paste.items.add(file('pasted.png'));
      document.dispatchEvent(
        new ClipboardEvent('paste', { clipboardData: paste, bubbles: true, cancelable: true }),
      );
    }, png);
    await page.waitForFunction(() => document.querySelectorAll('.attachment').length === 3);
    assert.deepEqual(await page.$$eval('.attachment .name', (els) => els.map((e) => e.textContent)), [
      'image1.jpg',
      'dropped.png',
      'pasted.png',
    ]);
    // Removed with the keyboard: focus the button, press Enter.
    for (const name of ['dropped.png', 'pasted.png']) {
      await page.focus(`button[aria-label="Remove ${name}"]`);
      await page.keyboard.press('Enter');
    }
    assert.equal(await page.$$eval('.attachment', (els) => els.length), 1);
    await shot('02-image-tiles');
  });

  test('a question streams its answer in several steps and shows TTFT, tokens/s and token counts', async () => {
    await fill('#max-tokens', '32');
    await page.evaluate((sel) => {
      const seen: number[] = [];
      window.seen = seen;
      new MutationObserver(() => {
        const answer = document.querySelector(`${sel} .answer`);
        if (answer && seen[seen.length - 1] !== answer.textContent!.length)
          seen.push(answer.textContent!.length);
      }).observe(document.getElementById('conversation')!, {
        childList: true,
        subtree: true,
        characterData: true,
      });
    }, LAST_ANSWER);
    await ask('Describe the image.');
    await waitForAnswer(1, 'done');
    const steps = await page.evaluate(() => (window.seen as number[]).filter((n) => n > 0));
    const text = await lastText();
    assert.ok(text.length > 0);
    assert.ok(steps.length >= 3, `the answer arrived in ${steps.length} steps: ${steps.join(', ')}`);
    assert.equal(steps[steps.length - 1], text.length);
    const tiles = planTiles(1000, 747, { maxNum: 6 }).numTiles;
    assert.equal(await stat('image_tokens'), tiles * TOKENS_PER_TILE);
    assert.ok((await stat('prompt_tokens')) > tiles * TOKENS_PER_TILE);
    assert.equal(await stat('completion_tokens'), 32);
    assert.ok((await stat('ttft_ms')) >= 0);
    assert.ok((await stat('tokens_per_second')) > 0);
    // The page sent the image with its own max_num and asked for usage in the stream.
    const sent = chats[chats.length - 1]!.body;
    const content = sent.messages[0]!.content as { type: string; image_url?: { max_num: number } }[];
    assert.equal(content[0]!.image_url!.max_num, 6);
    await shot('03-answer');
  });

  test('Stop cancels the second answer midway, and the llm counts a cancelled sequence', async () => {
    const before = await cancelled();
    await fill('#max-tokens', '3000');
    await ask('Now write a very long story about it.');
    await page.waitForFunction(
      (sel) => ((document.querySelector(`${sel} .answer`)?.textContent ?? '').length > 60 ? true : false),
      { timeout: 60_000 },
      LAST_ANSWER,
    );
    assert.equal(await lastState(), 'streaming');
    await page.click('#stop');
    await waitForAnswer(2, 'stopped');
    const stoppedAt = (await lastText()).length;
    const deadline = Date.now() + 10_000;
    while ((await cancelled()) <= before) {
      assert.ok(Date.now() < deadline, 'the llm recorded no cancelled sequence');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.equal((await lastText()).length, stoppedAt, 'nothing arrives after Stop');
    assert.equal(await page.$eval('#stop', (b) => b.disabled), true);
    await shot('04-stopped');
  });

  test('a follow-up reaches the server with the whole conversation: image, answers (the stopped one too)', async () => {
    await fill('#max-tokens', '8');
    await ask('And what colour is it?');
    await waitForAnswer(3, 'done');
    const sent = chats[chats.length - 1]!.body;
    assert.deepEqual(
      sent.messages.map((m) => m.role),
      ['user', 'assistant', 'user', 'assistant', 'user'],
    );
    const first = sent.messages[0]!.content as { type: string; text?: string }[];
    assert.deepEqual(
      first.map((p) => p.type),
      ['image_url', 'text'],
    );
    assert.equal(first[1]!.text, 'Describe the image.');
    // The first answer is what the server generated for the first question (greedy: ask it again).
    const again = await api({ messages: [sent.messages[0]], max_tokens: 32 });
    assert.equal(sent.messages[1]!.content, again.json.choices[0]!.message.content);
    // The stopped answer went along as far as it had come.
    const stopped = sent.messages[3]!.content as string;
    assert.ok(stopped.length > 0);
    // The server's own count: the follow-up's prompt is exactly this history, image included, and
    // the llm found the earlier rounds in its prefix cache.
    const replay = await api({ messages: sent.messages, max_tokens: 1 });
    assert.equal(replay.status, 200);
    assert.equal(await stat('prompt_tokens'), replay.json.usage.prompt_tokens);
    assert.equal(await stat('image_tokens'), replay.json.usage.prompt_tokens_details.image_tokens);
    assert.ok((await stat('image_tokens')) > 0);
    assert.ok((await stat('cached_tokens')) > (await stat('image_tokens')));
    await shot('05-follow-up');
  });

  test('JSON mode with the ID card example answers JSON that parses and follows the schema', async () => {
    await page.click('#new-chat');
    assert.equal(await answers(), 0);
    await page.click('#id-card');
    assert.equal(await page.$eval('#json-mode', (el) => el.checked), true);
    await fill('#max-tokens', '300');
    await page.focus('#prompt');
    await page.keyboard.press('Enter');
    await waitForAnswer(1, 'done');
    const sent = chats[chats.length - 1]!.body;
    assert.equal(sent.response_format?.type, 'json_schema');
    assert.equal(sent.response_format?.json_schema?.strict, true);
    assert.equal(await page.$eval(LAST_ANSWER, (el) => el.dataset.json), 'valid');
    const shown = await page.$eval(`${LAST_ANSWER} .answer pre code`, (el) => el.textContent ?? '');
    const value: unknown = JSON.parse(shown);
    const validate = new Ajv().compile(ID_CARD_SCHEMA);
    assert.ok(validate(value), `${JSON.stringify(validate.errors)} in ${shown}`);
    await shot('06-json-mode');
  });

  test('an API error body is shown as the server wrote it, and the question is kept to fix and resend', async () => {
    await page.click('#new-chat');
    await page.click('#json-mode');
    await fill('#max-tokens', '100000');
    await ask('Hello?');
    await page.waitForSelector('#error:not([hidden])');
    const shown = await page.$eval('#error', (el) => el.textContent ?? '');
    const direct = await api({ messages: [{ role: 'user', content: 'Hello?' }], max_tokens: 100000 });
    assert.equal(direct.status, 400);
    assert.ok(shown.includes(direct.json.error!.message), `${shown} vs ${direct.json.error!.message}`);
    assert.match(shown, /^400 /);
    assert.equal(await page.$eval('#prompt', (el) => el.value), 'Hello?');
    assert.equal(await answers(), 0);
    await shot('07-api-error');
  });

  test('with --api-keys the page asks for a key on 401 and sends it as a Bearer token', async () => {
    const { gateway, httpBase } = await startGateway(stack, ['--api-keys', 'sk-playground']);
    const keyed = await newPage();
    try {
      await keyed.goto(`${httpBase}/`, { waitUntil: 'networkidle0' });
      await keyed.waitForSelector('#api-key-form:not([hidden])');
      assert.match(
        await keyed.$eval('#api-key-hint', (el) => el.textContent ?? ''),
        /needs an API key\. It said: missing API key/,
      );
      await keyed.type('#api-key', 'sk-playground');
      await keyed.keyboard.press('Enter');
      await keyed.waitForFunction(
        (name) => document.getElementById('model-name')?.textContent === name,
        { timeout: 10_000 },
        TINY_MODEL_NAME,
      );
      assert.equal(
        await keyed.$eval('#api-key-hint', (el) => el.textContent),
        'The server accepted this key.',
      );
      await fill('#max-tokens', '4', keyed);
      await ask('Hi', keyed);
      await waitForAnswer(1, 'done', keyed);
      assert.equal(chats[chats.length - 1]!.authorization, 'Bearer sk-playground');
      await shot('08-api-key', keyed);
    } finally {
      await keyed.close();
      await gateway.stop();
    }
  });

  test('--no-playground: / answers 404', async () => {
    const { gateway, httpBase } = await startGateway(stack, ['--no-playground']);
    try {
      assert.equal((await fetch(`${httpBase}/`)).status, 404);
      assert.equal((await fetch(`${httpBase}/v1/models`)).status, 200);
    } finally {
      await gateway.stop();
    }
  });

  test('no script error and no CSP violation on the page; every screenshot is a full-size PNG', () => {
    assert.deepEqual(pageErrors, []);
    assert.equal(shots.length, 8);
    for (const path of shots) {
      const png = readFileSync(path);
      assert.ok(png.length > 20_000, `${path}: ${png.length} bytes`);
      assert.equal(png.toString('latin1', 1, 4), 'PNG', path);
      assert.deepEqual([png.readUInt32BE(16), png.readUInt32BE(20)], [VIEWPORT.width, VIEWPORT.height], path);
    }
    writeFileSync(join(SHOTS, 'README.txt'), 'Screenshots of test/src/playground.spec.ts, one per state.\n');
  });
});
