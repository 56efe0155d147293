import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { CheckpointReader, parseInternVLConfig, validateCheckpoint } from '@internvl/checkpoint';
import { InvalidArgumentError } from '@internvl/errors';
import {
  MANIFEST_FILE,
  MANIFEST_FORMAT,
  TEMPLATES,
  IMAGE_TOKENS,
  type InternVLConfig,
  type ModelManifest,
} from '@internvl/model-config';
import {
  buildDecoderGraph,
  buildEmbedGraph,
  buildVisionGraph,
  DEFAULT_INT4_BLOCK,
  floatType,
  type Precision,
} from '@internvl/model-graphs';
import { saveModel, type GraphBuilder } from '@internvl/onnx';
import { loadTokenizer, tokenizerJsonFromSentencePiece } from '@internvl/tokenizer';

export const CONVERTER_VERSION = '0.1.0';

export interface ConvertProgress {
  stage: 'read' | 'vision' | 'embed' | 'decoder' | 'tokenizer' | 'manifest';
  done: number;
  total: number;
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
  kvDtype?: 'float32' | 'float16';
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
  progress({
    stage: 'read',
    done: 1,
    total: 1,
    message: `${config.llm.architecture}, ${reader.names().length} tensors, template ${config.template}`,
  });

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

  const maxContextTokens = options.maxContextTokens ?? Math.min(config.llm.maxPositionEmbeddings, 16384);
  mkdirSync(to, { recursive: true });
  const metadata = { source: basename(from), precision: options.precision, converter: CONVERTER_VERSION };
  // The vision tower stays in float for int4: weight-only 4-bit pays off in the memory-bound decoder.
  const visionPrecision: Precision = options.precision === 'int4' ? 'fp32' : options.precision;
  const stream = (file: string) => ({ dataFile: join(to, `${file}.data.partial`) });

  const vision = buildVisionGraph(config, reader, visionPrecision, {
    graph: stream(FILES.vision),
    onLayer: (done, total) =>
      progress({ stage: 'vision', done, total, message: `vision layer ${done}/${total}` }),
  });
  save(vision, to, FILES.vision, metadata);
  progress({ stage: 'embed', done: 0, total: 1, message: 'embedding table' });
  save(buildEmbedGraph(config, reader, options.precision, stream(FILES.embed)), to, FILES.embed, metadata);
  progress({ stage: 'embed', done: 1, total: 1, message: 'embedding table' });
  const kvDtype = options.kvDtype ?? floatType(options.precision);
  const int4BlockSize = options.int4BlockSize ?? DEFAULT_INT4_BLOCK;
  if (![32, 64, 128].includes(int4BlockSize)) {
    throw new InvalidArgumentError(`int4 block size must be 32, 64 or 128, got ${int4BlockSize}`);
  }
  const decoder = buildDecoderGraph(config, reader, options.precision, {
    kvDtype,
    int4Block: int4BlockSize,
    graph: stream(FILES.decoder),
    onLayer: (done, total) =>
      progress({ stage: 'decoder', done, total, message: `decoder layer ${done}/${total}` }),
  });
  save(decoder, to, FILES.decoder, metadata);

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
  progress({ stage: 'tokenizer', done: 1, total: 1, message: 'tokenizer.json' });

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
  writeFileSync(join(to, MANIFEST_FILE), JSON.stringify(manifest, null, 2) + '\n');
  progress({ stage: 'manifest', done: 1, total: 1, message: `wrote ${join(to, MANIFEST_FILE)}` });
  return manifest;
}
