import { InvalidArgumentError, NotFoundError } from '@internvl/errors';

/**
 * Where the reference forward gets weights: HF safetensors names, PyTorch layouts
 * (Linear weights are [out, in] row-major). Structurally a subset of the converter's
 * `WeightSource`, so the same object can feed both sides of a comparison.
 */
export interface WeightSource {
  /** Returns the tensor as float32, or throws when it is missing or its shape differs. */
  read(name: string, expectedShape: number[]): Float32Array;
}

/** A tensor held in memory: row-major data and its shape. */
export interface HeldTensor {
  shape: number[];
  data: Float32Array;
}

/** In-memory weights keyed by HF name; `read` checks shape and element count. */
export class MapWeightSource implements WeightSource {
  readonly tensors: Map<string, HeldTensor>;

  constructor(tensors?: Map<string, HeldTensor>) {
    this.tensors = tensors ?? new Map();
  }

  /** Adds or replaces a tensor; throws when data length and shape disagree. */
  set(name: string, shape: number[], data: Float32Array): this {
    const count = shape.reduce((a, b) => a * b, 1);
    if (data.length !== count) {
      throw new InvalidArgumentError(`${name}: ${data.length} values for shape [${shape.join(', ')}]`);
    }
    this.tensors.set(name, { shape: [...shape], data });
    return this;
  }

  has(name: string): boolean {
    return this.tensors.has(name);
  }

  read(name: string, expectedShape: number[]): Float32Array {
    const t = this.tensors.get(name);
    if (t === undefined) throw new NotFoundError(`weight ${name} not found`);
    if (t.shape.length !== expectedShape.length || t.shape.some((d, i) => d !== expectedShape[i])) {
      throw new InvalidArgumentError(
        `weight ${name} has shape [${t.shape.join(', ')}], expected [${expectedShape.join(', ')}]`,
      );
    }
    return t.data;
  }
}

/**
 * Wraps a source so each tensor is read once; greedy generation recomputes the full
 * forward every step and would otherwise re-read (and re-convert) every weight.
 */
export function cachedWeights(source: WeightSource): WeightSource {
  const cache = new Map<string, { shape: string; data: Float32Array }>();
  return {
    read(name, expectedShape) {
      const key = expectedShape.join(',');
      const hit = cache.get(name);
      if (hit !== undefined && hit.shape === key) return hit.data;
      const data = source.read(name, expectedShape);
      cache.set(name, { shape: key, data });
      return data;
    },
  };
}
