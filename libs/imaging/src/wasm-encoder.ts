/**
 * A minimal WebAssembly binary encoder: just enough to build the SIMD resampling kernels at
 * runtime without a toolchain or a checked-in binary. Instructions are byte arrays; a
 * {@link WasmFunction} names its params and locals so kernels read like annotated WAT.
 */

/** Encoded bytes of an instruction or section. */
export type Bytes = number[];

/** Value type codes. */
export const I32 = 0x7f;
export const V128 = 0x7b;
/** A value type this encoder can declare. */
export type ValType = typeof I32 | typeof V128;

/** Unsigned LEB128. */
export function u32(value: number): Bytes {
  const out: Bytes = [];
  let v = value >>> 0;
  do {
    let byte = v & 0x7f;
    v >>>= 7;
    if (v !== 0) byte |= 0x80;
    out.push(byte);
  } while (v !== 0);
  return out;
}

/** Signed LEB128 for i32 immediates. */
export function s32(value: number): Bytes {
  const out: Bytes = [];
  let v = value | 0;
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    const done = (v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

function vec(items: Bytes[]): Bytes {
  return [...u32(items.length), ...items.flat()];
}

function name(text: string): Bytes {
  const bytes = [...Buffer.from(text, 'utf8')];
  return [...u32(bytes.length), ...bytes];
}

/** A memory immediate: alignment hint (log2) and a constant byte offset. */
function memarg(align: number, offset: number): Bytes {
  return [...u32(align), ...u32(offset)];
}

/** A SIMD instruction: 0xfd prefix, then the LEB128 sub-opcode. */
function simd(sub: number): Bytes {
  return [0xfd, ...u32(sub)];
}

/** Instruction constructors (WebAssembly core spec + fixed-width SIMD opcodes). */
export const op = {
  block: (): Bytes => [0x02, 0x40],
  loop: (): Bytes => [0x03, 0x40],
  end: (): Bytes => [0x0b],
  br: (depth: number): Bytes => [0x0c, ...u32(depth)],
  brIf: (depth: number): Bytes => [0x0d, ...u32(depth)],
  select: (): Bytes => [0x1b],
  i32Const: (v: number): Bytes => [0x41, ...s32(v)],
  i32Eqz: (): Bytes => [0x45],
  i32Ne: (): Bytes => [0x47],
  i32LtS: (): Bytes => [0x48],
  i32GeS: (): Bytes => [0x4e],
  i32Add: (): Bytes => [0x6a],
  i32Sub: (): Bytes => [0x6b],
  i32Mul: (): Bytes => [0x6c],
  i32Load: (offset = 0): Bytes => [0x28, ...memarg(2, offset)],
  i32Load8U: (offset = 0): Bytes => [0x2d, ...memarg(0, offset)],
  i32Store: (offset = 0): Bytes => [0x36, ...memarg(2, offset)],
  i32Store16: (offset = 0): Bytes => [0x3b, ...memarg(1, offset)],
  i32Shl: (): Bytes => [0x74],
  v128Load: (offset = 0): Bytes => [...simd(0x00), ...memarg(0, offset)],
  v128Load8x8U: (offset = 0): Bytes => [...simd(0x02), ...memarg(0, offset)],
  v128Load16x4U: (offset = 0): Bytes => [...simd(0x04), ...memarg(0, offset)],
  v128Load32Splat: (offset = 0): Bytes => [...simd(0x09), ...memarg(0, offset)],
  v128Store: (offset = 0): Bytes => [...simd(0x0b), ...memarg(0, offset)],
  i8x16Shuffle: (lanes: readonly number[]): Bytes => {
    if (lanes.length !== 16) throw new Error('i8x16.shuffle needs 16 lane indices');
    return [...simd(0x0d), ...lanes];
  },
  i32x4Splat: (): Bytes => simd(0x11),
  v128Load32Lane: (lane: number, offset = 0): Bytes => [...simd(0x56), ...memarg(0, offset), lane],
  v128Store32Lane: (lane: number, offset = 0): Bytes => [...simd(0x5a), ...memarg(0, offset), lane],
  v128Store64Lane: (lane: number, offset = 0): Bytes => [...simd(0x5b), ...memarg(0, offset), lane],
  v128Load32Zero: (offset = 0): Bytes => [...simd(0x5c), ...memarg(0, offset)],
  v128Load64Zero: (offset = 0): Bytes => [...simd(0x5d), ...memarg(0, offset)],
  i8x16NarrowI16x8U: (): Bytes => simd(0x66),
  i16x8NarrowI32x4S: (): Bytes => simd(0x85),
  i16x8ExtendLowI8x16U: (): Bytes => simd(0x89),
  i16x8ExtendHighI8x16U: (): Bytes => simd(0x8a),
  i32x4ExtendLowI16x8U: (): Bytes => simd(0xa9),
  i32x4ExtendHighI16x8U: (): Bytes => simd(0xaa),
  i32x4Shl: (): Bytes => simd(0xab),
  i32x4ShrS: (): Bytes => simd(0xac),
  i32x4Add: (): Bytes => simd(0xae),
  i32x4Mul: (): Bytes => simd(0xb5),
  i32x4DotI16x8S: (): Bytes => simd(0xba),
};

/** One exported function: named params/locals, and a body appended instruction by instruction. */
export class WasmFunction {
  private readonly indices = new Map<string, number>();
  private readonly localTypes: ValType[] = [];
  private readonly body: Bytes = [];

  constructor(
    readonly exportName: string,
    private readonly params: readonly (readonly [string, ValType])[],
  ) {
    params.forEach(([n], i) => this.indices.set(n, i));
  }

  /** Declares locals (after the params). */
  locals(type: ValType, ...names: string[]): this {
    for (const n of names) {
      this.indices.set(n, this.params.length + this.localTypes.length);
      this.localTypes.push(type);
    }
    return this;
  }

  private index(n: string): number {
    const i = this.indices.get(n);
    if (i === undefined) throw new Error(`unknown local ${n} in ${this.exportName}`);
    return i;
  }

  /** `local.get` of a named param or local. */
  get(n: string): Bytes {
    return [0x20, ...u32(this.index(n))];
  }

  /** `local.set` of a named param or local. */
  set(n: string): Bytes {
    return [0x21, ...u32(this.index(n))];
  }

  /** Appends instructions. */
  emit(...instructions: Bytes[]): this {
    for (const ins of instructions) this.body.push(...ins);
    return this;
  }

  /** `local = local + delta` (delta an immediate or another local's name). */
  addTo(n: string, delta: number | string): this {
    return this.emit(
      this.get(n),
      typeof delta === 'number' ? op.i32Const(delta) : this.get(delta),
      op.i32Add(),
      this.set(n),
    );
  }

  /** The function's type (params, no results). */
  typeBytes(): Bytes {
    return [0x60, ...vec(this.params.map(([, t]) => [t])), ...vec([])];
  }

  /** The function's code-section entry. */
  codeBytes(): Bytes {
    // Locals are declared one entry per local: simple and valid.
    const decls = vec(this.localTypes.map((t) => [1, t]));
    const code = [...decls, ...this.body, ...op.end()];
    return [...u32(code.length), ...code];
  }
}

function section(id: number, payload: Bytes): Bytes {
  return [id, ...u32(payload.length), ...payload];
}

/** Encodes a module that defines and exports one memory (`memory`) and the given functions. */
export function encodeModule(functions: readonly WasmFunction[], initialPages: number): Uint8Array {
  const bytes: Bytes = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  bytes.push(...section(1, vec(functions.map((f) => f.typeBytes()))));
  bytes.push(...section(3, vec(functions.map((_, i) => u32(i)))));
  // Limits without a maximum: the memory may grow up to the engine's 4 GiB.
  bytes.push(...section(5, vec([[0x00, ...u32(initialPages)]])));
  const exports = [
    [...name('memory'), 0x02, ...u32(0)],
    ...functions.map((f, i) => [...name(f.exportName), 0x00, ...u32(i)]),
  ];
  bytes.push(...section(7, vec(exports)));
  bytes.push(...section(10, vec(functions.map((f) => f.codeBytes()))));
  return Uint8Array.from(bytes);
}
