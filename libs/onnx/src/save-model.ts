import { writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { InvalidArgumentError } from '@internvl/errors';
import { ExternalDataFile } from './external-data-file';
import { DEFAULT_EXTERNAL_THRESHOLD, type GraphBuilder, type Initializer } from './graph-builder';
import { encodeModel, type TensorSpec } from './onnx-proto';
import { storedByteLength } from './tensor-data';

/** Opset imported for the ONNX domain unless the caller names another. */
export const DEFAULT_ONNX_OPSET = 17;
/** The com.microsoft contrib opset (GroupQueryAttention, MatMulNBits, …) is versioned 1 in ORT. */
export const DEFAULT_MS_OPSET = 1;

/** Options shared by {@link saveModel} and {@link serializeModel}. */
export interface SerializeOptions {
  /** Opset per domain (`''` = ONNX). Domains used by nodes but not listed get defaults (ONNX 17, com.microsoft 1). */
  opsets?: Record<string, number>;
  /** Model metadata_props (e.g. the model family, precision). */
  metadata?: Record<string, string>;
  /** ModelProto.ir_version; defaults to the IR version that introduced the ONNX opset in use. */
  irVersion?: number;
  producerName?: string;
}

/** Options for {@link saveModel}. */
export interface SaveModelOptions extends SerializeOptions {
  /** Write initializers larger than `externalThreshold` to `<model>.onnx.data` (default true). */
  externalData?: boolean;
  /**
   * Stored size in bytes above which an initializer goes external (default 1024). A streaming
   * builder (`dataFile`) already decided with its own threshold, so this is ignored for it.
   */
  externalThreshold?: number;
}

/** Sizes of the files written by {@link saveModel}. */
export interface SavedModel {
  onnxBytes: number;
  dataBytes: number;
}

// A protobuf message cannot exceed 2 GiB; the .onnx must stay under it (weights go external).
const PROTO_LIMIT = 2 ** 31 - 1;

/** IR version matching an ONNX opset (onnx/docs/Versioning.md): 17–18 → 8, 19–20 → 9, 21–22 → 10. */
export function irVersionForOpset(opset: number): number {
  if (opset <= 18) return 8;
  if (opset <= 20) return 9;
  if (opset <= 22) return 10;
  return 11;
}

function resolveOpsets(graph: GraphBuilder, requested: Record<string, number> = {}): [string, number][] {
  const versions: Record<string, number> = { '': DEFAULT_ONNX_OPSET, ...requested };
  const used = new Set(graph.nodes.map((n) => n.domain));
  if (used.has('com.microsoft')) versions['com.microsoft'] ??= DEFAULT_MS_OPSET;
  for (const d of used) {
    if (versions[d] === undefined) {
      throw new InvalidArgumentError(
        `graph '${graph.name}' uses domain '${d}' but no opset was given for it`,
      );
    }
  }
  return Object.entries(versions);
}

function modelBytes(graph: GraphBuilder, tensors: TensorSpec[], options: SerializeOptions): Uint8Array {
  const opsets = resolveOpsets(graph, options.opsets);
  const onnxOpset = opsets.find(([d]) => d === '')![1];
  const bytes = encodeModel({
    irVersion: options.irVersion ?? irVersionForOpset(onnxOpset),
    opsets,
    producerName: options.producerName ?? 'internvl-serving',
    producerVersion: '0.1.0',
    metadata: Object.entries(options.metadata ?? {}),
    graph: {
      name: graph.name,
      nodes: [...graph.nodes],
      initializers: tensors,
      inputs: [...graph.inputs],
      outputs: [...graph.outputs],
      valueInfos: [...graph.valueInfos],
    },
  });
  if (bytes.length > PROTO_LIMIT) {
    throw new InvalidArgumentError(
      `model '${graph.name}' serializes to ${bytes.length} bytes, over protobuf's 2 GiB limit; save it with externalData`,
    );
  }
  return bytes;
}

function inlineSpec(graph: GraphBuilder, init: Initializer): TensorSpec {
  const base = { name: init.name, type: init.type, dims: init.dims };
  if ('data' in init) return { ...base, inline: init.data };
  return { ...base, raw: graph.streamedData!.read(init.span) };
}

/**
 * Serializes the whole model into one buffer with every initializer inline. Meant for small
 * graphs (tests, probes); large models go through {@link saveModel}.
 */
export function serializeModel(graph: GraphBuilder, options: SerializeOptions = {}): Uint8Array {
  return modelBytes(
    graph,
    graph.initializers.map((i) => inlineSpec(graph, i)),
    options,
  );
}

/**
 * Writes `path` (the .onnx) and, with external data, `<basename(path)>.data` next to it. Tensors
 * are written one at a time, so peak memory stays near the largest single tensor.
 * Load the result from its file path so ORT can resolve the external data.
 */
export function saveModel(graph: GraphBuilder, path: string, options: SaveModelOptions = {}): SavedModel {
  if (options.externalData === false) {
    const bytes = serializeModel(graph, options);
    writeFileSync(path, bytes);
    return { onnxBytes: bytes.length, dataBytes: 0 };
  }
  const threshold = options.externalThreshold ?? DEFAULT_EXTERNAL_THRESHOLD;
  const location = `${basename(path)}.data`;
  const dataPath = join(dirname(path), location);
  let file = graph.streamedData;
  file?.moveTo(dataPath);
  const tensors: TensorSpec[] = [];
  try {
    for (const init of graph.initializers) {
      const base = { name: init.name, type: init.type, dims: init.dims };
      if ('span' in init) {
        tensors.push({ ...base, external: { location, ...init.span } });
      } else if (!graph.streamedData && storedByteLength(init.data) > threshold) {
        file ??= new ExternalDataFile(dataPath);
        tensors.push({ ...base, external: { location, ...file.append(init.data) } });
      } else {
        tensors.push({ ...base, inline: init.data });
      }
    }
  } finally {
    file?.close();
  }
  const bytes = modelBytes(graph, tensors, options);
  writeFileSync(path, bytes);
  return { onnxBytes: bytes.length, dataBytes: file?.size ?? 0 };
}
