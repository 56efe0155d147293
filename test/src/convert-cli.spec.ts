import { strict as assert } from 'node:assert';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { makeTinyCheckpoint } from '@internvl/checkpoint';
import { runCli } from './support/processes';

const work = mkdtempSync(join(tmpdir(), 'internvl-convert-cli-'));
after(() => rmSync(work, { recursive: true, force: true }));

test('internvl convert with stdout not a TTY: plain progress lines for every stage, the decoder per layer', async () => {
  const layers = 3;
  const checkpoint = makeTinyCheckpoint(join(work, 'tiny-phi3'), { llm: 'phi3', seed: 5, layers });
  const to = join(work, 'model');
  // runCli pipes stdout (execFile): not a terminal.
  const { stdout } = await runCli(['convert', '--from', checkpoint.dir, '--to', to, '--precision', 'int4']);
  assert.ok(
    !stdout.includes('\r') && !stdout.includes('\x1b'),
    'no carriage returns or escape sequences in a log',
  );
  const lines = stdout.trimEnd().split('\n');
  const progress = lines.filter((l) => /^\w+: /.test(l));
  // Each stage's lines are together, in the converter's order.
  const stages = progress.map((l) => l.slice(0, l.indexOf(':')));
  assert.deepEqual(
    stages.filter((s, i) => i === 0 || stages[i - 1] !== s),
    ['read', 'vision', 'embed', 'decoder', 'tokenizer', 'manifest'],
  );
  const decoder = progress.filter((l) => l.startsWith('decoder: '));
  assert.deepEqual(
    decoder.map((l) => l.replace(/eta [\d.hms]+$/, 'eta T').replace(/done in [\d.hms]+\)$/, 'done in T)')),
    [
      `decoder: building decoder.onnx (${layers} layers, int4)`,
      `decoder: layer 1/${layers} (25%), eta T`,
      `decoder: layer 2/${layers} (50%), eta T`,
      `decoder: layer 3/${layers} (75%), eta T`,
      'decoder: lm_head, wrote decoder.onnx (done in T)',
    ],
  );
  assert.ok(
    progress.some((l) => /^vision: layer 1\/3 \(25%\), eta [\d.]+s$/.test(l)),
    progress.join('\n'),
  );
  for (const stage of ['read', 'embed', 'tokenizer', 'manifest'])
    assert.ok(
      progress.some((l) => new RegExp(`^${stage}: .*\\(done in [\\d.]+s\\)$`).test(l)),
      `${stage} completes:\n${progress.join('\n')}`,
    );
  assert.match(lines.at(-2)!, /^converted tiny-phi3 \(Phi3ForCausalLM, int4\) → /);
  assert.ok(existsSync(join(to, 'manifest.json')));
});
