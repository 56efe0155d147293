import { strict as assert } from 'node:assert';
import { before, describe, test } from 'node:test';
import { InvalidArgumentError } from '@internvl/errors';
import { buildPhi3TokenizerFiles, loadTokenizer, type TextTokenizer } from '@internvl/tokenizer';
import { ConstraintCompiler } from './constraint-compiler';
import type { OutputConstraint } from './output-constraint';
import { applyTokenBitmask, bitmaskAllows } from './token-bitmask';

const VOCAB = 32064;
const END = 32007;

describe('structured-output constraints (xgrammar) on the Phi-3 vocabulary', () => {
  let tokenizer: TextTokenizer;
  let compiler: ConstraintCompiler;
  before(async () => {
    tokenizer = loadTokenizer(buildPhi3TokenizerFiles()['tokenizer.json']!);
    const tokens = Array.from({ length: tokenizer.vocabSize }, (_, id) => tokenizer.tokenOf(id) ?? '');
    compiler = await ConstraintCompiler.create({ tokens, vocabSize: VOCAB, stopTokenIds: [END] });
  });

  /** Random walk through the allowed tokens until the grammar completes; returns the text. */
  async function walk(constraint: OutputConstraint, seed: number): Promise<string> {
    const matcher = await (await compiler.compile(constraint))();
    let s = seed;
    const ids: number[] = [];
    try {
      for (let step = 0; step < 400 && !matcher.isTerminated(); step++) {
        const mask = await matcher.nextMask();
        const allowed: number[] = [];
        for (let id = 0; id < VOCAB; id++) if (bitmaskAllows(mask, id)) allowed.push(id);
        s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
        const id = allowed[s % allowed.length]!;
        assert.ok(matcher.accept(id), `token ${id} was allowed but not accepted`);
        if (id !== END) ids.push(id);
      }
      assert.ok(matcher.isTerminated(), 'the grammar completes');
      return tokenizer.decode(ids);
    } finally {
      matcher.dispose();
    }
  }

  const schema = {
    type: 'object',
    properties: {
      name: { type: 'string', minLength: 1, maxLength: 8 },
      age: { type: 'integer', minimum: 0, maximum: 120 },
      kind: { enum: ['passport', 'id_card'] },
      code: { type: 'string', pattern: '^[A-Z]{2}[0-9]{4}$' },
      height: { type: 'number', minimum: 0.5, maximum: 2.5 },
    },
    required: ['name', 'age', 'kind', 'code', 'height'],
    additionalProperties: false,
  };

  test('every path a JSON schema allows is JSON that validates', async () => {
    const constraint: OutputConstraint = { kind: 'json_schema', source: JSON.stringify(schema) };
    for (let seed = 1; seed <= 8; seed++) {
      const value = JSON.parse(await walk(constraint, seed)) as Record<string, unknown>;
      assert.deepEqual(Object.keys(value).sort(), ['age', 'code', 'height', 'kind', 'name']);
      assert.ok(
        typeof value.height === 'number' && value.height >= 0.5 && value.height <= 2.5,
        `height ${value.height}`,
      );
      assert.ok(typeof value.name === 'string' && value.name.length >= 1 && value.name.length <= 8);
      assert.ok(Number.isInteger(value.age) && (value.age as number) >= 0 && (value.age as number) <= 120);
      assert.ok(['passport', 'id_card'].includes(value.kind as string));
      assert.match(value.code as string, /^[A-Z]{2}[0-9]{4}$/);
    }
  });

  /** Feeds `text` one character token at a time; whether all were accepted and the grammar completed. */
  async function feed(
    constraint: OutputConstraint,
    text: string,
  ): Promise<{ accepted: boolean; done: boolean }> {
    const matcher = await (await compiler.compile(constraint))();
    try {
      const ids = [...text].map((c) => tokenizer.idOf(c === ' ' ? '\u2581' : c)!);
      const accepted = [...ids, END].every((id) => matcher.accept(id));
      return { accepted, done: matcher.isTerminated() };
    } finally {
      matcher.dispose();
    }
  }

  test('json_object, regex and EBNF constraints hold too', async () => {
    // Any object may go on for ever on a random walk, so json_object is checked on given answers.
    assert.deepEqual(await feed({ kind: 'json_object' }, '{"a": [1, {"b": null}], "c": "d"}'), {
      accepted: true,
      done: true,
    });
    assert.equal((await feed({ kind: 'json_object' }, '[1, 2]')).accepted, false);
    assert.equal((await feed({ kind: 'json_object' }, '"text"')).accepted, false);
    assert.match(await walk({ kind: 'regex', source: '[0-9]{3}-[a-c]{2}' }, 3), /^[0-9]{3}-[a-c]{2}$/);
    assert.match(await walk({ kind: 'ebnf', source: 'root ::= "yes" | "no"' }, 5), /^(yes|no)$/);
  });

  test('a bad schema, regex or grammar is INVALID_ARGUMENT naming the problem', async () => {
    await assert.rejects(compiler.compile({ kind: 'json_schema', source: '{"type": ' }), (e: Error) => {
      assert.ok(e instanceof InvalidArgumentError);
      assert.match(e.message, /json_schema is not valid JSON/);
      return true;
    });
    await assert.rejects(compiler.compile({ kind: 'json_schema', source: '{"type": 12}' }), (e: Error) => {
      assert.ok(e instanceof InvalidArgumentError);
      assert.match(e.message, /json_schema does not compile: .*Type should be a string/);
      return true;
    });
    await assert.rejects(
      compiler.compile({ kind: 'ebnf', source: 'root ::= "yes" |' }),
      /ebnf does not compile: .*EBNF parser error/,
    );
    // The engine still works after refusing.
    assert.match(await walk({ kind: 'ebnf', source: 'root ::= "ok"' }, 1), /^ok$/);
  });

  test('the mask leaves only allowed logits', async () => {
    const matcher = await (await compiler.compile({ kind: 'ebnf', source: 'root ::= "yes"' }))();
    const mask = await matcher.nextMask();
    const logits = applyTokenBitmask(new Float32Array(VOCAB).fill(1), mask);
    const kept = [...logits.keys()].filter((i) => logits[i] === 1);
    assert.ok(kept.length > 0 && kept.every((i) => bitmaskAllows(mask, i)));
    assert.ok(
      kept.every((i) => 'yes'.startsWith(tokenizer.decode([i]).trimStart())),
      `kept ${kept.map((i) => tokenizer.tokenOf(i))}`,
    );
    matcher.dispose();
  });
});
