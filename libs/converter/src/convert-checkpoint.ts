import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { CheckpointReader, parseInternVLConfig, validateCheckpoint } from '@internvl/checkpoint';
import { InvalidArgumentError } from '@internvl/errors';
import type { FloatType } from '@internvl/float-formats';
import {
  MANIFEST_FILE,
  MANIFEST_FORMAT,
  type InternVLConfig,
  type ModelManifest,
} from '@internvl/model-config';
import {
  buildDecoderGraph,
  buildEmbedGraph,
  buildVisionGraph,
  DEFAULT_INT4_BLOCK,
  floatType,
  visionLayersToRun,
  type Precision,
} from '@internvl/model-graphs';
import { saveModel, type GraphBuilder } from '@internvl/onnx';
import { IMAGE_TOKENS, TEMPLATES } from '@internvl/prompt';
import { loadTokenizer, tokenizerJsonFromSentencePiece } from '@internvl/tokenizer';

export const CONVERTER_VERSION = '0.1.0';

/** The stages of {@link convertCheckpoint}, in the order they run. */
export const CONVERT_STAGES = ['read', 'vision', 'embed', 'decoder', 'tokenizer', 'manifest'] as const;
export type ConvertStage = (typeof CONVERT_STAGES)[number];

/**
 * One progress event. Every stage, in {@link CONVERT_STAGES} order, reports `done` 0 when it starts,
 * then 1, 2, … up to `total` (the same total throughout the stage) as its steps finish. vision and
 * decoder have one step per layer (building it: reading, transposing, int4-packing its weights and
 * appending them to the external data file) and a last one for the head (decoder: lm_head) and
 * writing the .onnx; the other stages have one step.
 */
export interface ConvertProgress {
  stage: ConvertStage;
  done: number;
  total: number;
  /** What the step was, e.g. `layer 12/32`. */
  message: string;
}

export interface ConvertOptions {
  /** HF checkpoint directory (config.json, *.safetensors, tokenizer files). */
  from: string;
  /** Model directory to write. */
  to: string;
  precision: Precision;
  /** Longest prompt + answer served. Default min(max_position_embeddings, 16384). */
  maxContextTokens?: number;
  /** KV cache element type; default float16 for fp16 models, float32 otherwise (faster on CPU). */
  kvDtype?: FloatType;
  /** int4 quantization block along K: 32, 64 or 128 (default 128, GPTQ/AWQ's group size). */
  int4BlockSize?: number;
  onProgress?: (progress: ConvertProgress) => void;
}

const FILES = {
  vision: 'vision.onnx',
  embed: 'embed.onnx',
  decoder: 'decoder.onnx',
  tokenizer: 'tokenizer.json',
} as const;

function readJson(path: string, what: string): unknown {
  if (!existsSync(path)) throw new InvalidArgumentError(`${what} not found: ${path}`);
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new InvalidArgumentError(`${what} is not valid JSON (${path}): ${(err as Error).message}`);
  }
}

/** tokenizer.json from the checkpoint, or built from tokenizer.model (SentencePiece) when it has none. */
function tokenizerJson(from: string): string {
  const json = join(from, 'tokenizer.json');
  if (existsSync(json)) return readFileSync(json, 'utf8');
  const spm = join(from, 'tokenizer.model');
  if (!existsSync(spm))
    throw new InvalidArgumentError(`${from} has neither tokenizer.json nor tokenizer.model`);
  const added = existsSync(join(from, 'added_tokens.json'))
    ? (readJson(join(from, 'added_tokens.json'), 'added_tokens.json') as Record<string, number>)
    : {};
  const tokenizerConfig = existsSync(join(from, 'tokenizer_config.json'))
    ? readJson(join(from, 'tokenizer_config.json'), 'tokenizer_config.json')
    : undefined;
  return tokenizerJsonFromSentencePiece(readFileSync(spm), { addedTokens: added, tokenizerConfig });
}

function save(graph: GraphBuilder, dir: string, file: string, metadata: Record<string, string>): void {
  saveModel(graph, join(dir, file), { metadata });
}

/**
 * Converts an HF InternVL checkpoint into a model directory: vision.onnx, embed.onnx and decoder.onnx
 * (weights as external data, streamed so multi-GB models convert in bounded memory), tokenizer.json
 * and manifest.json. Every model fact comes from the checkpoint's own files.
 */
export async function convertCheckpoint(options: ConvertOptions): Promise<ModelManifest> {
  const from = resolve(options.from);
  const to = resolve(options.to);
  const progress = options.onProgress ?? (() => undefined);
  progress({ stage: 'read', done: 0, total: 1, message: `reading ${from}` });
  const config: InternVLConfig = parseInternVLConfig(readJson(join(from, 'config.json'), 'config.json'));
  const reader = CheckpointReader.open(from);
  validateCheckpoint(reader, config);

  const template = TEMPLATES[config.template];
  if (!template)
    throw new InvalidArgumentError(
      `template '${config.template}' is not supported; supported: ${Object.keys(TEMPLATES).join(', ')}`,
    );
  const tokenizerText = tokenizerJson(from);
  const tokenizer = loadTokenizer(tokenizerText);
  const idOf = (token: string): number => {
    const id = tokenizer.idOf(token);
    if (id === undefined)
      throw new InvalidArgumentError(`the tokenizer has no '${token}' token, which InternVL needs`);
    return id;
  };

  const int4BlockSize = options.int4BlockSize ?? DEFAULT_INT4_BLOCK;
  if (![32, 64, 128].includes(int4BlockSize)) {
    throw new InvalidArgumentError(`int4 block size must be 32, 64 or 128, got ${int4BlockSize}`);
  }
  progress({
    stage: 'read',
    done: 1,
    total: 1,
    message: `${config.llm.architecture}, ${reader.names().length} tensors, template ${config.template}`,
  });

  const maxContextTokens = options.maxContextTokens ?? Math.min(config.llm.maxPositionEmbeddings, 16384);
  mkdirSync(to, { recursive: true });
  const metadata = { source: basename(from), precision: options.precision, converter: CONVERTER_VERSION };
  // The vision tower stays in float for int4: weight-only 4-bit pays off in the memory-bound decoder.
  const visionPrecision: Precision = options.precision === 'int4' ? 'fp32' : options.precision;
  const stream = (file: string) => ({ dataFile: join(to, `${file}.data.partial`) });
  /**
   * A graph built layer by layer and saved as `file`, reported as `layers` + 1 steps (the last one
   * is the `head`: projector, lm_head); `build` gets the graph options and the per-layer callback.
   */
  const buildLayered = (
    stage: ConvertStage,
    file: string,
    layers: number,
    precision: Precision,
    head: string,
    build: (
      graph: ReturnType<typeof stream>,
      onLayer: (done: number, layers: number) => void,
    ) => GraphBuilder,
  ) => {
    const total = layers + 1;
    progress({ stage, done: 0, total, message: `building ${file} (${layers} layers, ${precision})` });
    const graph = build(stream(file), (done, n) =>
      progress({ stage, done, total, message: `layer ${done}/${n}` }),
    );
    save(graph, to, file, metadata);
    progress({ stage, done: total, total, message: `${head}, wrote ${file}` });
  };

  buildLayered(
    'vision',
    FILES.vision,
    visionLayersToRun(config),
    visionPrecision,
    'projector',
    (graph, onLayer) => buildVisionGraph(config, reader, visionPrecision, { graph, onLayer }),
  );

  progress({ stage: 'embed', done: 0, total: 1, message: `building ${FILES.embed} (embedding table)` });
  save(buildEmbedGraph(config, reader, options.precision, stream(FILES.embed)), to, FILES.embed, metadata);
  progress({ stage: 'embed', done: 1, total: 1, message: `wrote ${FILES.embed}` });

  const kvDtype = options.kvDtype ?? floatType(options.precision);
  buildLayered(
    'decoder',
    FILES.decoder,
    config.llm.numLayers,
    options.precision,
    'lm_head',
    (graph, onLayer) =>
      buildDecoderGraph(config, reader, options.precision, {
        kvDtype,
        int4Block: int4BlockSize,
        graph,
        onLayer,
      }),
  );

  progress({ stage: 'tokenizer', done: 0, total: 1, message: `writing ${FILES.tokenizer}` });
  writeFileSync(join(to, FILES.tokenizer), tokenizerText);
  for (const extra of [
    'tokenizer_config.json',
    'special_tokens_map.json',
    'added_tokens.json',
    'generation_config.json',
    'config.json',
  ]) {
    if (existsSync(join(from, extra))) copyFileSync(join(from, extra), join(to, extra));
  }
  progress({ stage: 'tokenizer', done: 1, total: 1, message: `wrote ${FILES.tokenizer}` });

  const stopIds = new Set(config.llm.eosTokenIds);
  for (const s of template.stopStrings) {
    const id = tokenizer.idOf(s);
    if (id !== undefined) stopIds.add(id);
  }
  const manifest: ModelManifest = {
    format: MANIFEST_FORMAT,
    name: basename(from),
    precision: options.precision,
    visionDtype: floatType(visionPrecision),
    decoderDtype: floatType(options.precision),
    kvDtype,
    ...(options.precision === 'int4' ? { int4BlockSize } : {}),
    maxContextTokens,
    config,
    files: { ...FILES },
    template: { name: template.name, systemMessage: config.systemMessage ?? template.systemMessage },
    tokens: {
      bos: config.llm.bosTokenId,
      stop: [...stopIds].sort((a, b) => a - b),
      imageStart: idOf(IMAGE_TOKENS.start),
      imageEnd: idOf(IMAGE_TOKENS.end),
      imageContext: idOf(IMAGE_TOKENS.context),
    },
    converter: { version: CONVERTER_VERSION, source: from, createdAt: new Date().toISOString() },
  };
  progress({ stage: 'manifest', done: 0, total: 1, message: `writing ${MANIFEST_FILE}` });
  writeFileSync(join(to, MANIFEST_FILE), JSON.stringify(manifest, null, 2) + '\n');
  progress({ stage: 'manifest', done: 1, total: 1, message: `wrote ${join(to, MANIFEST_FILE)}` });
  return manifest;
}
