import { InvalidArgumentError } from '@internvl/errors';
import type { AttrValue } from './attr';
import type { Dim, ElemType } from './elem-type';
import { ExternalDataFile, type DataSpan } from './external-data-file';
import type { NodeSpec, ValueInfo } from './onnx-proto';
import { checkTensorData, storedByteLength, type TensorData } from './tensor-data';

/** Initializers whose stored size exceeds this many bytes go to external data by default. */
export const DEFAULT_EXTERNAL_THRESHOLD = 1024;

/** An initializer as the builder holds it: values in memory, or already streamed to the data file. */
export type Initializer = { name: string; type: ElemType; dims: number[] } & (
  { data: TensorData } | { span: DataSpan }
);

/** Options for {@link GraphBuilder}. */
export interface GraphBuilderOptions {
  /**
   * Stream large initializers to this file as they are added instead of holding them until save,
   * so building a multi-GB model needs only one tensor in memory at a time. `saveModel` moves the
   * file next to the .onnx as `<model>.onnx.data` (the latest save owns it).
   */
  dataFile?: string;
  /** Stored size in bytes above which an initializer is streamed to `dataFile` (default 1024). */
  externalThreshold?: number;
}

/** Options for {@link GraphBuilder.node}. */
export interface NodeOptions {
  attrs?: Record<string, AttrValue>;
  /** Operator domain, e.g. `'com.microsoft'`; default is the ONNX domain. */
  domain?: string;
  /** Output count (auto-named) or explicit output names (`''` = an omitted optional output). */
  outputs?: number | string[];
  /** Node name (made unique); defaults to the op type. */
  name?: string;
}

/**
 * Builds an ONNX graph in topological order. Every value is checked as it is used, so a typo in
 * a 200-layer decoder fails at the line that made it, not inside onnxruntime.
 */
export class GraphBuilder {
  private readonly nodeList: NodeSpec[] = [];
  private readonly inits: Initializer[] = [];
  private readonly inputList: ValueInfo[] = [];
  private readonly outputList: ValueInfo[] = [];
  private readonly valueInfoList: ValueInfo[] = [];
  /** Values that exist (inputs, initializers, node outputs). */
  private readonly produced = new Set<string>();
  /** Every name handed out or used, so uniqueName never collides. */
  private readonly reserved = new Set<string>();
  private readonly nodeNames = new Set<string>();
  private readonly counters = new Map<string, number>();
  private readonly nodeCounters = new Map<string, number>();
  private readonly constants = new Map<string, string>();
  private readonly dataFile: ExternalDataFile | undefined;
  private readonly threshold: number;

  constructor(
    readonly name: string,
    options: GraphBuilderOptions = {},
  ) {
    this.threshold = options.externalThreshold ?? DEFAULT_EXTERNAL_THRESHOLD;
    this.dataFile = options.dataFile ? new ExternalDataFile(options.dataFile) : undefined;
  }

  /** Declares a graph input and returns its name. */
  input(name: string, type: ElemType, dims: Dim[]): string {
    this.define(name, 'input');
    this.inputList.push({ name, type, dims: [...dims] });
    return name;
  }

  /** Declares a graph output; `valueName` must be an input or an output of an earlier node. */
  output(valueName: string, type: ElemType, dims: Dim[]): void {
    this.requireValue(valueName, 'graph output');
    if (this.outputList.some((o) => o.name === valueName)) {
      throw new InvalidArgumentError(`'${valueName}' is already a graph output`);
    }
    this.outputList.push({ name: valueName, type, dims: [...dims] });
  }

  /** Records a known type/shape for an intermediate value (optional; helps shape inference and tools). */
  valueInfo(valueName: string, type: ElemType, dims: Dim[]): void {
    this.requireValue(valueName, 'value_info');
    this.valueInfoList.push({ name: valueName, type, dims: [...dims] });
  }

  /**
   * Adds a weight tensor and returns its name. In streaming mode a large tensor is written out
   * now and the caller may drop it; otherwise the builder keeps a reference until save.
   */
  initializer(name: string, tensor: TensorData): string {
    checkTensorData(name, tensor);
    this.define(name, 'initializer');
    const base = { name, type: tensor.type, dims: [...tensor.dims] };
    if (this.dataFile && storedByteLength(tensor) > this.threshold) {
      this.inits.push({ ...base, span: this.dataFile.append(tensor) });
    } else {
      this.inits.push({ ...base, data: tensor });
    }
    return name;
  }

  /**
   * Adds (or reuses) a small constant initializer, e.g. a Reshape target or an axis list.
   * `dims` defaults to `[values.length]`; pass `[]` for a scalar.
   */
  constant(values: number[], type: 'int64' | 'float32' | 'int32', dims?: number[]): string {
    const shape = dims ?? [values.length];
    const key = `${type}|${shape.join(',')}|${values.join(',')}`;
    const known = this.constants.get(key);
    if (known) return known;
    if (type !== 'float32' && !values.every(Number.isSafeInteger)) {
      throw new InvalidArgumentError(`${type} constant needs integer values, got [${values}]`);
    }
    const data =
      type === 'int64'
        ? BigInt64Array.from(values, (v) => BigInt(v))
        : type === 'int32'
          ? Int32Array.from(values)
          : Float32Array.from(values);
    const name = this.initializer(this.uniqueName('const'), { type, dims: shape, data });
    this.constants.set(key, name);
    return name;
  }

  /** Appends a node and returns its output names. Inputs must already exist (`''` = omitted optional input). */
  node(opType: string, inputs: string[], options: NodeOptions = {}): string[] {
    const name = this.uniqueNodeName(options.name ?? opType);
    for (const i of inputs) if (i !== '') this.requireValue(i, `input of node '${name}' (${opType})`);
    const spec = options.outputs ?? 1;
    let outputs: string[];
    if (typeof spec === 'number') {
      outputs =
        spec === 1
          ? [this.uniqueName(name)]
          : Array.from({ length: spec }, (_, k) => this.uniqueName(`${name}_${k}`));
    } else {
      outputs = [...spec];
    }
    for (const o of outputs) {
      if (o === '') continue;
      if (this.produced.has(o)) {
        throw new InvalidArgumentError(`node '${name}' (${opType}) redefines value '${o}'`);
      }
      this.produced.add(o);
      this.reserved.add(o);
    }
    const attrs = Object.entries(options.attrs ?? {});
    this.nodeList.push({ opType, domain: options.domain ?? '', name, inputs: [...inputs], outputs, attrs });
    return outputs;
  }

  /** Single-output shorthand for {@link node}. */
  op(opType: string, inputs: string[], attrs?: Record<string, AttrValue>, domain?: string): string {
    return this.node(opType, inputs, { attrs, domain })[0];
  }

  /** Returns `prefix` or `prefix_N`, never used before in this graph, and reserves it. */
  uniqueName(prefix: string): string {
    let name = prefix;
    let n = this.counters.get(prefix) ?? 0;
    while (this.reserved.has(name)) name = `${prefix}_${++n}`;
    this.counters.set(prefix, n);
    this.reserved.add(name);
    return name;
  }

  /** Nodes in insertion (topological) order. */
  get nodes(): readonly NodeSpec[] {
    return this.nodeList;
  }

  get inputs(): readonly ValueInfo[] {
    return this.inputList;
  }

  get outputs(): readonly ValueInfo[] {
    return this.outputList;
  }

  get valueInfos(): readonly ValueInfo[] {
    return this.valueInfoList;
  }

  get initializers(): readonly Initializer[] {
    return this.inits;
  }

  /** The streaming data file, when the builder was created with `dataFile`. */
  get streamedData(): ExternalDataFile | undefined {
    return this.dataFile;
  }

  private define(name: string, what: string): void {
    if (!name) throw new InvalidArgumentError(`${what} needs a non-empty name`);
    if (this.produced.has(name)) throw new InvalidArgumentError(`${what} '${name}' is already defined`);
    this.produced.add(name);
    this.reserved.add(name);
  }

  private requireValue(name: string, usage: string): void {
    if (!this.produced.has(name)) {
      throw new InvalidArgumentError(
        `${usage}: value '${name}' is not defined (yet) in graph '${this.name}'`,
      );
    }
  }

  private uniqueNodeName(base: string): string {
    let name = base;
    let n = this.nodeCounters.get(base) ?? 0;
    while (this.nodeNames.has(name)) name = `${base}_${++n}`;
    this.nodeCounters.set(base, n);
    this.nodeNames.add(name);
    return name;
  }
}
