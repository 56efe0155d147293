import { readFileSync } from 'node:fs';
import { FailedPreconditionError } from '@internvl/errors';
import type { ModelManifest } from '@internvl/model-config';
import { readModelDirectory } from '@internvl/ort';
import { TEMPLATES, type ChatTemplate } from '@internvl/prompt';
import { loadTokenizer, type TextTokenizer } from '@internvl/tokenizer';
import { DecoderEngine, type DecoderEngineOptions } from './engine/decoder-engine';
import { ConstraintCompiler } from './grammar/constraint-compiler';

/**
 * The language side of a model directory: manifest, chat template (with the manifest's system
 * message), tokenizer, and the decoder engine on its inference thread.
 */
export class LlmModel {
  private constructor(
    readonly manifest: ModelManifest,
    readonly template: ChatTemplate,
    readonly tokenizer: TextTokenizer,
    readonly engine: DecoderEngine,
  ) {}

  static async load(dir: string, options: DecoderEngineOptions): Promise<LlmModel> {
    const model = readModelDirectory(dir, '--model DIR (or INTERNVL_LLM_MODEL)');
    const { manifest } = model;
    const base = TEMPLATES[manifest.template.name];
    if (!base) {
      throw new FailedPreconditionError(
        `${model.dir}: unknown chat template '${manifest.template.name}' (known: ${Object.keys(TEMPLATES).join(', ')})`,
      );
    }
    const tokenizer = loadTokenizer(readFileSync(model.file('tokenizer'), 'utf8'));
    const engine = await DecoderEngine.load(model, options);
    return new LlmModel(
      manifest,
      { ...base, systemMessage: manifest.template.systemMessage },
      tokenizer,
      engine,
    );
  }

  get name(): string {
    return this.manifest.name;
  }

  get maxContextTokens(): number {
    return this.manifest.maxContextTokens;
  }

  get hiddenSize(): number {
    return this.manifest.config.llm.hiddenSize;
  }

  /** <IMG_CONTEXT> rows per tile (256). */
  get tokensPerTile(): number {
    return this.manifest.config.numImageTokens;
  }

  private compiler: Promise<ConstraintCompiler> | undefined;

  /** The structured-output compiler for this model's vocabulary, made on first use (~0.1 s). */
  constraints(): Promise<ConstraintCompiler> {
    this.compiler ??= ConstraintCompiler.create({
      tokens: Array.from({ length: this.tokenizer.vocabSize }, (_, id) => this.tokenizer.tokenOf(id) ?? ''),
      vocabSize: this.manifest.config.llm.vocabSize,
      stopTokenIds: this.manifest.tokens.stop,
    });
    return this.compiler;
  }

  release(): Promise<void> {
    return this.engine.release();
  }
}
