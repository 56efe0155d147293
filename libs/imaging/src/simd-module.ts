import { normalizeKernel } from './normalize-kernel-wasm';
import { hpass4, interleave4, vpass } from './resample-kernels-wasm';
import { encodeModule } from './wasm-encoder';
import { wasmApi, type WasmMemory } from './wasm-runtime';

/**
 * The compiled WebAssembly SIMD module shared by the resampler and the normalizer, and a bump
 * allocator over its memory. Everything is synchronous and single-threaded: one call owns the
 * memory from `acquire` to the end of its work.
 */

/** Exported kernels (all arguments are i32 byte offsets or counts; see the kernel builders). */
export interface SimdKernels {
  memory: WasmMemory;
  interleave4(src: number, srcStride: number, width: number, rows: number, dst: number): void;
  hpass4(
    inter: number,
    inWidth: number,
    groups: number,
    outWidth: number,
    bounds: number,
    pairTable: number,
    pairStride: number,
    dst: number,
    dstStride: number,
  ): void;
  vpass(
    src: number,
    srcStride: number,
    rowBytes: number,
    outRows: number,
    bounds: number,
    pairTable: number,
    pairStride: number,
    dst: number,
    dstStride: number,
  ): void;
  normalize32(
    src: number,
    srcStride: number,
    width: number,
    height: number,
    lut: number,
    dst: number,
    planeBytes: number,
  ): void;
  normalize16(
    src: number,
    srcStride: number,
    width: number,
    height: number,
    lut: number,
    dst: number,
    planeBytes: number,
  ): void;
}

const PAGE_BYTES = 65536;
/** Slack after every allocation for the kernels' over-reads and over-writes. */
const SLACK = 64;
/** Beyond this the instance is dropped after use, so one huge image does not pin its memory. */
const RETAIN_BYTES = 256 * 1024 * 1024;

let compiled: object | null | undefined;
let cached: SimdKernels | undefined;

function compiledModule(): object | null {
  if (compiled === undefined) {
    try {
      const bytes = encodeModule(
        [
          interleave4(),
          hpass4(),
          vpass(),
          normalizeKernel('normalize32', 4),
          normalizeKernel('normalize16', 2),
        ],
        1,
      );
      compiled = wasmApi?.validate(bytes) ? new wasmApi.Module(bytes) : null;
    } catch {
      compiled = null;
    }
  }
  return compiled;
}

/** Whether the SIMD kernels can run here (WebAssembly with fixed-width SIMD). */
export function simdAvailable(): boolean {
  return compiledModule() !== null;
}

/** Bump allocator over the kernels' memory; allocate everything, then `commit`, then run. */
export class SimdArena {
  private top = 0;

  constructor(readonly kernels: SimdKernels) {}

  /** Reserves `bytes` (plus slack), 16-byte aligned; returns the byte offset. */
  alloc(bytes: number): number {
    const offset = this.top;
    this.top = offset + Math.ceil((bytes + SLACK) / 16) * 16;
    return offset;
  }

  /** Grows the memory to hold every allocation (throws RangeError when it cannot). */
  commit(): void {
    const missing = this.top - this.kernels.memory.buffer.byteLength;
    if (missing > 0) this.kernels.memory.grow(Math.ceil(missing / PAGE_BYTES));
  }

  /** The whole memory as bytes; take it again after `commit` (growing detaches old views). */
  heap(): Uint8Array {
    return new Uint8Array(this.kernels.memory.buffer);
  }

  /** Copies Int32 values into the memory at `offset`. */
  writeInt32(offset: number, values: Int32Array): void {
    new Int32Array(this.kernels.memory.buffer, offset, values.length).set(values);
  }
}

let busy = false;

/**
 * Runs `work` with a fresh arena over the shared instance. A nested call (from inside `work`)
 * gets a private instance, so it cannot overwrite memory the outer call is still reading.
 */
export function withSimdArena<T>(work: (arena: SimdArena) => T): T {
  const module = compiledModule();
  if (module === null || wasmApi === undefined) throw new Error('WebAssembly SIMD is not available');
  const instantiate = () => new wasmApi!.Instance(module).exports as unknown as SimdKernels;
  if (busy) return work(new SimdArena(instantiate()));
  cached ??= instantiate();
  const kernels = cached;
  busy = true;
  try {
    return work(new SimdArena(kernels));
  } finally {
    busy = false;
    if (kernels.memory.buffer.byteLength > RETAIN_BYTES) cached = undefined;
  }
}
