import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { defineSchema } from './schema';
import { parseConfig } from './parse-config';
import { formatHelp, redactConfig } from './format-config';

const schema = defineSchema({
  port: { type: 'int', default: 50051, min: 0, max: 65535, doc: 'port' },
  ratio: { type: 'number', default: 0.5, doc: 'ratio' },
  use_thumbnail: { type: 'bool', default: true, doc: 'thumbnail' },
  provider: { type: 'string', default: 'cpu', choices: ['cpu', 'cuda'], doc: 'provider' },
  addresses: { type: 'list', default: ['a:1'], doc: 'addresses' },
  api_key: { type: 'string', default: '', doc: 'key', secret: true },
});

test('defaults apply when nothing is given', () => {
  const { config } = parseConfig(schema, 'vision', { argv: [], env: {} });
  assert.deepEqual(config, {
    port: 50051,
    ratio: 0.5,
    use_thumbnail: true,
    provider: 'cpu',
    addresses: ['a:1'],
    api_key: '',
  });
});

test('env then flags, flags win; --flag=value, --no-flag and lists work', () => {
  const { config, positionals } = parseConfig(schema, 'vision', {
    argv: ['--port', '7', '--no-use-thumbnail', '--addresses=x:1, y:2', 'IMAGE.jpg', '--provider=cuda'],
    env: { INTERNVL_VISION_PORT: '9', INTERNVL_VISION_RATIO: '0.25', OTHER: 'ignored' },
  });
  assert.equal(config.port, 7);
  assert.equal(config.ratio, 0.25);
  assert.equal(config.use_thumbnail, false);
  assert.deepEqual(config.addresses, ['x:1', 'y:2']);
  assert.equal(config.provider, 'cuda');
  assert.deepEqual(positionals, ['IMAGE.jpg']);
});

test('unknown flags and unknown INTERNVL_<APP>_* variables are rejected', () => {
  assert.throws(
    () => parseConfig(schema, 'vision', { argv: ['--prot', '1'], env: {} }),
    /unknown option --prot/,
  );
  assert.throws(
    () => parseConfig(schema, 'vision', { argv: [], env: { INTERNVL_VISION_PROT: '1' } }),
    /unknown environment variable INTERNVL_VISION_PROT/,
  );
});

test('bad values name the option and the problem', () => {
  assert.throws(
    () => parseConfig(schema, 'vision', { argv: ['--port', 'x'], env: {} }),
    /--port \(port\): 'x' is not an integer/,
  );
  assert.throws(
    () => parseConfig(schema, 'vision', { argv: ['--port', '70000'], env: {} }),
    /above the maximum 65535/,
  );
  assert.throws(
    () => parseConfig(schema, 'vision', { argv: ['--provider', 'tpu'], env: {} }),
    /'tpu' is not one of cpu, cuda/,
  );
  assert.throws(
    () => parseConfig(schema, 'vision', { argv: ['--use-thumbnail=maybe'], env: {} }),
    /not a boolean/,
  );
  assert.throws(() => parseConfig(schema, 'vision', { argv: ['--port'], env: {} }), /--port needs a value/);
});

test('help lists every option with env name and default; secrets are masked in the banner', () => {
  const help = formatHelp(schema, 'vision');
  for (const flag of [
    '--port',
    '--ratio',
    '--use-thumbnail',
    '--provider <cpu|cuda>',
    '--addresses',
    '--api-key',
  ])
    assert.ok(help.includes(flag), flag);
  assert.ok(help.includes('env: INTERNVL_VISION_USE_THUMBNAIL'));
  assert.deepEqual(redactConfig(schema, { api_key: 'sk-1', port: 1 }), { api_key: '***', port: 1 });
  assert.deepEqual(redactConfig(schema, { api_key: '', port: 1 }), { api_key: '', port: 1 });
});
