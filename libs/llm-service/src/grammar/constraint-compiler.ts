import { InvalidArgumentError } from '@internvl/errors';
import type { OutputConstraint, TokenConstraintFactory } from './output-constraint';
import {
  loadXgrammar,
  type Xgrammar,
  type XgCompiledGrammar,
  type XgGrammarCompiler,
} from './xgrammar-module';

/** What the compiler needs of the model: its vocabulary as token strings and its stop ids. */
export interface ConstraintVocabulary {
  /** Token string (SentencePiece piece, `<0xNN>` byte tokens, added tokens) per id; '' for gaps. */
  tokens: string[];
  /** Logits width (may exceed the tokenizer's vocabulary: Phi-3 pads to 32064). */
  vocabSize: number;
  /** Tokens that end an answer; the only ones allowed once a grammar is complete. */
  stopTokenIds: number[];
}

/** JSON whitespace between tokens is bounded: with random or weak weights it would loop forever. */
const MAX_WHITESPACE = 2;
/** Distinct constraints kept compiled. */
const CACHE_SIZE = 64;

/**
 * Compiles structured-output constraints (JSON schema, any JSON object, regex, EBNF) with
 * xgrammar against the model's vocabulary, once per distinct constraint (LRU cache; concurrent
 * requests for the same one share the compilation), and hands out per-sequence matchers.
 */
export class ConstraintCompiler {
  private readonly cache = new Map<string, Promise<XgCompiledGrammar>>();

  private constructor(
    private readonly xg: Xgrammar,
    private readonly compiler: XgGrammarCompiler,
  ) {}

  static async create(vocabulary: ConstraintVocabulary): Promise<ConstraintCompiler> {
    const xg = await loadXgrammar();
    // SentencePiece byte-fallback vocabularies (Phi-3, InternLM2) prepend a space to the first word.
    const info = await xg.TokenizerInfo.createTokenizerInfo(
      vocabulary.tokens,
      'byte_fallback',
      true,
      vocabulary.vocabSize,
      vocabulary.stopTokenIds,
    );
    return new ConstraintCompiler(xg, await xg.GrammarCompiler.createGrammarCompiler(info, true));
  }

  /**
   * The matcher factory of a constraint, compiling it on first use.
   * @throws InvalidArgumentError naming the problem when the constraint does not compile
   */
  async compile(constraint: OutputConstraint): Promise<TokenConstraintFactory> {
    const key =
      constraint.kind === 'json_object' ? 'json_object' : `${constraint.kind}\u0000${constraint.source}`;
    let compiled = this.cache.get(key);
    if (compiled) {
      this.cache.delete(key);
    } else {
      compiled = this.compileNow(constraint);
      // A failed compilation is not cached: the next request says the same, without a stale entry.
      compiled.catch(() => this.cache.get(key) === compiled && this.cache.delete(key));
      if (this.cache.size >= CACHE_SIZE) this.evictOldest();
    }
    this.cache.set(key, compiled);
    const grammar = await compiled;
    return async () => {
      const matcher = await this.xg.GrammarMatcher.createGrammarMatcher(grammar);
      return {
        nextMask: () => matcher.getNextTokenBitmask(),
        accept: (token) => matcher.acceptToken(token),
        isTerminated: () => matcher.isTerminated(),
        dispose: () => matcher.dispose(),
      };
    };
  }

  private evictOldest(): void {
    const [oldest, grammar] = this.cache.entries().next().value as [string, Promise<XgCompiledGrammar>];
    this.cache.delete(oldest);
    grammar.then((g) => g.dispose()).catch(() => undefined);
  }

  private async compileNow(constraint: OutputConstraint): Promise<XgCompiledGrammar> {
    const c = this.compiler;
    switch (constraint.kind) {
      case 'json_schema': {
        checkJsonSchema(constraint.source);
        return withFatalMessage('json_schema', async () => {
          const ebnf = await this.xg.Testings._jsonSchemaToEBNF(
            constraint.source,
            true,
            undefined,
            undefined,
            true,
            MAX_WHITESPACE,
          );
          return c.compileGrammar(fixNumberRanges(ebnf), 'root');
        });
      }
      case 'json_object':
        // Not strict: any properties. (Strict would default additionalProperties to false: only {}.)
        return withFatalMessage('json_object', () =>
          c.compileJSONSchema('{"type": "object"}', true, undefined, undefined, false, MAX_WHITESPACE),
        );
      case 'regex':
        return withFatalMessage('regex', () =>
          c.compileStructuralTag({
            type: 'structural_tag',
            format: { type: 'regex', pattern: constraint.source },
          }),
        );
      case 'ebnf':
        return withFatalMessage('ebnf', () => c.compileGrammar(constraint.source, 'root'));
    }
  }
}

/**
 * xgrammar 0.1.27 writes the bounds of a `number` range (minimum/maximum with a fraction, e.g.
 * 2.5) into the grammar with their decimal point unescaped, so "2" ANY "5" lets any character
 * stand for the point (seen as `2\xB05` from a random model). The point between two quoted digit
 * runs is made literal again.
 */
export function fixNumberRanges(ebnf: string): string {
  return ebnf.replace(/("[0-9]+") \[\\u0000-\\U0010FFFF\] ("[0-9]+")/g, '$1 "." $2');
}

function checkJsonSchema(source: string): void {
  let schema: unknown;
  try {
    schema = JSON.parse(source);
  } catch (err) {
    throw new InvalidArgumentError(`json_schema is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) {
    throw new InvalidArgumentError('json_schema must be a JSON object (a JSON Schema)');
  }
}

/**
 * Runs an xgrammar compilation. A bad grammar aborts its WebAssembly call with a `[FATAL] file:line:
 * message` line on stderr and a bare "Aborted()" error; the line is caught and becomes the
 * INVALID_ARGUMENT message instead.
 */
async function withFatalMessage<T>(what: string, run: () => Promise<T>): Promise<T> {
  const lines: string[] = [];
  const write = process.stderr.write;
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString();
    if (/^\[FATAL\]|^Aborted\(\)/.test(text)) {
      lines.push(text.trim());
      return true;
    }
    return (write as (...a: unknown[]) => boolean).call(process.stderr, chunk, ...rest);
  }) as typeof process.stderr.write;
  try {
    return await run();
  } catch (err) {
    const fatal = lines.find((l) => l.startsWith('[FATAL]'));
    // "[FATAL] /path/to/json_schema_converter.cc:885: Check failed: (…) is false: Type should be a string"
    const reason = fatal
      ? fatal.replace(/^\[FATAL\]\s*\S+:\d+:\s*/, '').replace(/^Check failed: \(.*?\) is false: /, '')
      : (err as Error).message;
    throw new InvalidArgumentError(`${what} does not compile: ${reason}`);
  } finally {
    process.stderr.write = write;
  }
}
