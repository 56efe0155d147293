import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { CheckpointFileError, MissingTensorError, TensorShapeError } from './checkpoint-errors';
import type { SafetensorsDtype } from './dtype';
import { nearNames } from './near-names';
import { SafetensorsFile } from './safetensors-file';

/** File names HF uses for a single-file and a sharded safetensors checkpoint. */
export const SAFETENSORS_SINGLE = 'model.safetensors';
export const SAFETENSORS_INDEX = 'model.safetensors.index.json';

/** What validation needs from a checkpoint: names, shapes and dtypes, no data. */
export interface TensorIndex {
  names(): string[];
  has(name: string): boolean;
  shape(name: string): number[];
  dtype(name: string): SafetensorsDtype;
}

function describeDir(dir: string): string {
  const listing = readdirSync(dir).sort();
  const shown = listing.slice(0, 12).join(', ');
  return listing.length === 0 ? 'it is empty' : `it has: ${shown}${listing.length > 12 ? ', …' : ''}`;
}

function readIndex(path: string): Map<string, string> {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new CheckpointFileError(`${path} is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  const map = (json as { weight_map?: unknown } | null)?.weight_map;
  if (typeof map !== 'object' || map === null || Array.isArray(map)) {
    throw new CheckpointFileError(`${path} has no "weight_map" object (tensor name → shard file)`);
  }
  const out = new Map<string, string>();
  for (const [name, file] of Object.entries(map)) {
    if (typeof file !== 'string')
      throw new CheckpointFileError(`${path}: weight_map["${name}"] is not a file name`);
    out.set(name, file);
  }
  return out;
}

/**
 * An HF safetensors checkpoint (single `model.safetensors` or sharded via
 * `model.safetensors.index.json`), read lazily: headers on open, one tensor's bytes per read.
 */
export class CheckpointReader implements TensorIndex {
  private constructor(
    /** The checkpoint folder. */
    readonly dir: string,
    private readonly files: ReadonlyMap<string, SafetensorsFile>,
    private readonly fileOfTensor: ReadonlyMap<string, string>,
  ) {}

  /**
   * Opens a checkpoint folder (or one .safetensors file). Like transformers, a folder's
   * `model.safetensors` wins over an index. Throws {@link CheckpointFileError} naming what is
   * missing, or a SafetensorsFormatError for a corrupt header.
   */
  static open(path: string): CheckpointReader {
    const target = resolve(path);
    if (!existsSync(target)) throw new CheckpointFileError(`checkpoint path ${target} does not exist`);
    if (statSync(target).isFile()) {
      if (!target.endsWith('.safetensors')) {
        throw new CheckpointFileError(`${target} is not a .safetensors file or a checkpoint folder`);
      }
      return CheckpointReader.fromShards(dirname(target), [basename(target)], undefined);
    }
    if (existsSync(join(target, SAFETENSORS_SINGLE))) {
      return CheckpointReader.fromShards(target, [SAFETENSORS_SINGLE], undefined);
    }
    const indexPath = join(target, SAFETENSORS_INDEX);
    if (existsSync(indexPath)) {
      const index = readIndex(indexPath);
      const shards = [...new Set(index.values())].sort();
      const missing = shards.filter((f) => !existsSync(join(target, f)));
      if (missing.length > 0) {
        throw new CheckpointFileError(
          `${SAFETENSORS_INDEX} in ${target} names shard(s) that are missing: ${missing.join(', ')}; ` +
            'download the complete checkpoint',
        );
      }
      return CheckpointReader.fromShards(target, shards, index);
    }
    const hasBin = readdirSync(target).some((f) => f.endsWith('.bin'));
    throw new CheckpointFileError(
      `no ${SAFETENSORS_SINGLE} or ${SAFETENSORS_INDEX} in ${target} (${describeDir(target)})` +
        (hasBin ? '; PyTorch .bin weights are not read: re-save the checkpoint with safetensors' : ''),
    );
  }

  private static fromShards(
    dir: string,
    shards: string[],
    index: Map<string, string> | undefined,
  ): CheckpointReader {
    const files = new Map<string, SafetensorsFile>();
    try {
      for (const shard of shards) files.set(shard, SafetensorsFile.open(join(dir, shard)));
    } catch (err) {
      for (const f of files.values()) f.close();
      throw err;
    }
    const fileOfTensor = new Map<string, string>();
    if (index) {
      for (const [name, shard] of index) {
        if (!files.get(shard)?.entries.has(name)) {
          for (const f of files.values()) f.close();
          throw new CheckpointFileError(
            `${SAFETENSORS_INDEX} in ${dir} puts tensor ${name} in ${shard}, but that shard has no such tensor; ` +
              'the index and shards come from different downloads',
          );
        }
        fileOfTensor.set(name, shard);
      }
    } else {
      for (const [shard, f] of files) for (const name of f.entries.keys()) fileOfTensor.set(name, shard);
    }
    return new CheckpointReader(dir, files, fileOfTensor);
  }

  /** The .safetensors files of this checkpoint. */
  shardFiles(): string[] {
    return [...this.files.keys()];
  }

  /** All tensor names (index order for sharded checkpoints, data order otherwise). */
  names(): string[] {
    return [...this.fileOfTensor.keys()];
  }

  has(name: string): boolean {
    return this.fileOfTensor.has(name);
  }

  shape(name: string): number[] {
    return [...this.locate(name).entry.shape];
  }

  dtype(name: string): SafetensorsDtype {
    return this.locate(name).entry.dtype;
  }

  /** The shard file holding a tensor. */
  fileOf(name: string): string {
    return this.locate(name).shard;
  }

  /**
   * Reads a tensor as float32 (BF16/F16 widened exactly). With `expectedShape`, a different
   * stored shape is a {@link TensorShapeError}; a missing tensor is a {@link MissingTensorError}.
   */
  read(name: string, expectedShape?: readonly number[]): Float32Array {
    const { shard, entry, file } = this.locate(name);
    if (expectedShape && !sameShape(entry.shape, expectedShape)) {
      throw new TensorShapeError(name, entry.shape, expectedShape, join(this.dir, shard));
    }
    return file.readFloat32(name);
  }

  /** Reads a tensor's raw little-endian bytes as stored. */
  readBytes(name: string): Uint8Array {
    const { file } = this.locate(name);
    return file.readBytes(name);
  }

  /** The `__metadata__` of each shard that has one. */
  metadata(): Record<string, Readonly<Record<string, string>>> {
    const out: Record<string, Readonly<Record<string, string>>> = {};
    for (const [shard, f] of this.files) if (f.metadata) out[shard] = f.metadata;
    return out;
  }

  /** Closes every shard's file descriptor. */
  close(): void {
    for (const f of this.files.values()) f.close();
  }

  private locate(name: string) {
    const shard = this.fileOfTensor.get(name);
    if (shard === undefined) throw this.missing(name);
    const file = this.files.get(shard) as SafetensorsFile;
    return { shard, file, entry: file.entries.get(name) as NonNullable<ReturnType<typeof file.entries.get>> };
  }

  private missing(name: string): MissingTensorError {
    const near = nearNames(name, this.fileOfTensor.keys());
    const where =
      this.files.size === 1
        ? join(this.dir, [...this.files.keys()][0])
        : `${this.files.size} shards in ${this.dir}`;
    const hint = near.length > 0 ? `; similar names: ${near.join(', ')}` : '';
    return new MissingTensorError(
      `tensor ${name} is not in the checkpoint (looked in ${where}, ${this.fileOfTensor.size} tensors)${hint}`,
      name,
      near,
    );
  }
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
