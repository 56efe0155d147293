import { createRequire } from 'node:module';

// The few parts of @mlc-ai/web-xgrammar the tier uses (its own typings come with an ESM entry
// this CommonJS build cannot import statically).

export interface XgCompiledGrammar {
  dispose(): void;
}

export interface XgGrammarMatcher {
  dispose(): void;
  acceptToken(tokenId: number): boolean;
  getNextTokenBitmask(): Promise<Int32Array>;
  isTerminated(): boolean;
}

/** What xgrammar turns a JSON schema into a grammar from (compileJSONSchema, _jsonSchemaToEBNF). */
type JsonSchemaGrammarArgs = [
  schema: string,
  anyWhitespace?: boolean,
  indent?: number,
  separators?: [string, string],
  strictMode?: boolean,
  maxWhitespaceCnt?: number,
];

export interface XgGrammarCompiler {
  compileJSONSchema(...args: JsonSchemaGrammarArgs): Promise<XgCompiledGrammar>;
  compileGrammar(ebnf: string, rootRule?: string): Promise<XgCompiledGrammar>;
  compileStructuralTag(tag: unknown): Promise<XgCompiledGrammar>;
}

export interface Xgrammar {
  Testings: {
    _jsonSchemaToEBNF(...args: JsonSchemaGrammarArgs): Promise<string>;
  };
  TokenizerInfo: {
    createTokenizerInfo(
      encodedVocab: string[],
      vocabType: string,
      prependSpaceInTokenization: boolean,
      vocabSize: number,
      stopTokenIds: number[],
    ): Promise<unknown>;
  };
  GrammarCompiler: {
    createGrammarCompiler(info: unknown, cacheEnabled?: boolean): Promise<XgGrammarCompiler>;
  };
  GrammarMatcher: { createGrammarMatcher(compiled: XgCompiledGrammar): Promise<XgGrammarMatcher> };
}

let loading: Promise<Xgrammar> | undefined;

/**
 * Loads xgrammar (the structured-output engine of vLLM and SGLang, built for WebAssembly) once per
 * process. Its bundle is UMD inside a `"type": "module"` package: it looks for `require` and
 * `__filename` globals and publishes itself as `globalThis.xgrammar`, and only a real dynamic
 * import() (which TypeScript's CommonJS output would turn into require) loads it.
 */
export function loadXgrammar(): Promise<Xgrammar> {
  loading ??= (async () => {
    const entry = require.resolve('@mlc-ai/web-xgrammar');
    const g = globalThis as Record<string, unknown>;
    g.require ??= createRequire(entry);
    g.__filename ??= entry;
    const dynamicImport = new Function('p', 'return import(p)') as (p: string) => Promise<unknown>;
    await dynamicImport(entry);
    return g.xgrammar as Xgrammar;
  })();
  return loading;
}
