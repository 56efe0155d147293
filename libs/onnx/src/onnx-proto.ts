// Hand-written encoder for the subset of onnx.proto (proto2) this builder emits. Field numbers
// follow https://github.com/onnx/onnx/blob/main/onnx/onnx.proto; repeated scalars are written
// unpacked, the proto2 default that every protobuf parser accepts.
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import type { AttrValue } from './attr';
import { ONNX_DATA_TYPE, type Dim, type ElemType } from './elem-type';
import { storedBytes, type TensorData } from './tensor-data';

/** A typed, shaped graph value (input, output or value_info). */
export interface ValueInfo {
  name: string;
  type: ElemType;
  dims: Dim[];
}

/** One node as it will be serialized. */
export interface NodeSpec {
  opType: string;
  domain: string;
  name: string;
  inputs: string[];
  outputs: string[];
  attrs: [string, AttrValue][];
}

/** Where an external tensor's bytes live in the data file. */
export interface ExternalRef {
  location: string;
  offset: number;
  length: number;
}

/**
 * A serialized initializer: values inline (`raw_data`, from typed values or already-stored bytes)
 * or a reference into external data.
 */
export type TensorSpec = { name: string; type: ElemType; dims: number[] } & (
  { inline: TensorData } | { raw: Uint8Array } | { external: ExternalRef }
);

/** Everything a ModelProto carries here. */
export interface ModelSpec {
  irVersion: number;
  opsets: [domain: string, version: number][];
  producerName: string;
  producerVersion: string;
  metadata: [key: string, value: string][];
  graph: {
    name: string;
    nodes: NodeSpec[];
    initializers: TensorSpec[];
    inputs: ValueInfo[];
    outputs: ValueInfo[];
    valueInfos: ValueInfo[];
  };
}

/** AttributeProto.AttributeType codes. */
const ATTR_TYPE = { float: 1, int: 2, string: 3, tensor: 4, floats: 6, ints: 7, strings: 8 } as const;

const utf8 = new TextEncoder();

function message(w: BinaryWriter, field: number, body: (w: BinaryWriter) => void): void {
  w.tag(field, WireType.LengthDelimited).fork();
  body(w);
  w.join();
}

function stringEntry(w: BinaryWriter, field: number, key: string, value: string): void {
  message(w, field, (m) => {
    m.tag(1, WireType.LengthDelimited).string(key);
    m.tag(2, WireType.LengthDelimited).string(value);
  });
}

function writeTensor(w: BinaryWriter, t: TensorSpec): void {
  for (const d of t.dims) w.tag(1, WireType.Varint).int64(d);
  w.tag(2, WireType.Varint).int32(ONNX_DATA_TYPE[t.type]);
  if (t.name) w.tag(8, WireType.LengthDelimited).string(t.name);
  if ('inline' in t || 'raw' in t) {
    w.tag(9, WireType.LengthDelimited).bytes('raw' in t ? t.raw : storedBytes(t.inline));
    return;
  }
  stringEntry(w, 13, 'location', t.external.location);
  stringEntry(w, 13, 'offset', String(t.external.offset));
  stringEntry(w, 13, 'length', String(t.external.length));
  w.tag(14, WireType.Varint).int32(1); // DataLocation.EXTERNAL
}

function writeAttribute(w: BinaryWriter, name: string, a: AttrValue): void {
  w.tag(1, WireType.LengthDelimited).string(name);
  w.tag(20, WireType.Varint).int32(ATTR_TYPE[a.kind]);
  switch (a.kind) {
    case 'float':
      w.tag(2, WireType.Bit32).float(a.value);
      break;
    case 'int':
      w.tag(3, WireType.Varint).int64(a.value);
      break;
    case 'string':
      w.tag(4, WireType.LengthDelimited).bytes(utf8.encode(a.value));
      break;
    case 'tensor':
      message(w, 5, (m) =>
        writeTensor(m, { name: '', type: a.value.type, dims: a.value.dims, inline: a.value }),
      );
      break;
    case 'floats':
      for (const v of a.value) w.tag(7, WireType.Bit32).float(v);
      break;
    case 'ints':
      for (const v of a.value) w.tag(8, WireType.Varint).int64(v);
      break;
    case 'strings':
      for (const v of a.value) w.tag(9, WireType.LengthDelimited).bytes(utf8.encode(v));
      break;
  }
}

function writeNode(w: BinaryWriter, n: NodeSpec): void {
  for (const i of n.inputs) w.tag(1, WireType.LengthDelimited).string(i);
  for (const o of n.outputs) w.tag(2, WireType.LengthDelimited).string(o);
  w.tag(3, WireType.LengthDelimited).string(n.name);
  w.tag(4, WireType.LengthDelimited).string(n.opType);
  for (const [name, a] of n.attrs) message(w, 5, (m) => writeAttribute(m, name, a));
  if (n.domain) w.tag(7, WireType.LengthDelimited).string(n.domain);
}

function writeValueInfo(w: BinaryWriter, v: ValueInfo): void {
  w.tag(1, WireType.LengthDelimited).string(v.name);
  // ValueInfoProto.type -> TypeProto.tensor_type -> { elem_type, shape { dim* } }
  message(w, 2, (type) =>
    message(type, 1, (tensor) => {
      tensor.tag(1, WireType.Varint).int32(ONNX_DATA_TYPE[v.type]);
      message(tensor, 2, (shape) => {
        for (const d of v.dims) {
          message(shape, 1, (dim) => {
            if (typeof d === 'number') dim.tag(1, WireType.Varint).int64(d);
            else dim.tag(2, WireType.LengthDelimited).string(d);
          });
        }
      });
    }),
  );
}

/** Serializes a ModelProto. */
export function encodeModel(spec: ModelSpec): Uint8Array {
  const w = new BinaryWriter();
  w.tag(1, WireType.Varint).int64(spec.irVersion);
  w.tag(2, WireType.LengthDelimited).string(spec.producerName);
  w.tag(3, WireType.LengthDelimited).string(spec.producerVersion);
  const g = spec.graph;
  message(w, 7, (m) => {
    for (const n of g.nodes) message(m, 1, (x) => writeNode(x, n));
    m.tag(2, WireType.LengthDelimited).string(g.name);
    for (const t of g.initializers) message(m, 5, (x) => writeTensor(x, t));
    for (const v of g.inputs) message(m, 11, (x) => writeValueInfo(x, v));
    for (const v of g.outputs) message(m, 12, (x) => writeValueInfo(x, v));
    for (const v of g.valueInfos) message(m, 13, (x) => writeValueInfo(x, v));
  });
  for (const [domain, version] of spec.opsets) {
    message(w, 8, (m) => {
      m.tag(1, WireType.LengthDelimited).string(domain);
      m.tag(2, WireType.Varint).int64(version);
    });
  }
  for (const [k, v] of spec.metadata) stringEntry(w, 14, k, v);
  return w.finish();
}
