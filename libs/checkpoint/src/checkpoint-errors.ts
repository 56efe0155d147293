import { InvalidArgumentError } from '@internvl/errors';

/** A checkpoint file or folder is missing or unreadable. */
export class CheckpointFileError extends InvalidArgumentError {}

/** A .safetensors file's header or layout is corrupt. */
export class SafetensorsFormatError extends InvalidArgumentError {}

/** A tensor is stored in a dtype this reader does not convert. */
export class UnsupportedDtypeError extends InvalidArgumentError {}

/** A tensor the model needs is not in the checkpoint. */
export class MissingTensorError extends InvalidArgumentError {
  constructor(
    message: string,
    /** The name that was asked for. */
    readonly tensor: string,
    /** Stored names close to it, best first. */
    readonly suggestions: readonly string[],
  ) {
    super(message);
  }
}

/** A tensor's stored shape differs from the one the config implies. */
export class TensorShapeError extends InvalidArgumentError {
  constructor(
    readonly tensor: string,
    readonly actual: readonly number[],
    readonly expected: readonly number[],
    where: string,
  ) {
    super(`tensor ${tensor} has shape [${actual.join(',')}], expected [${expected.join(',')}] (in ${where})`);
  }
}

/** config.json lacks a field, has a wrong type or value, or its values contradict each other. */
export class ConfigError extends InvalidArgumentError {}

/** config.json names a model architecture this stack does not implement. */
export class UnsupportedArchitectureError extends ConfigError {}

/** One problem found by `checkCheckpoint`. */
export interface CheckpointProblem {
  kind: 'missing' | 'shape' | 'dtype';
  tensor: string;
  message: string;
}

/** A checkpoint does not hold the tensors its config implies; lists what is wrong. */
export class CheckpointMismatchError extends InvalidArgumentError {
  constructor(
    message: string,
    readonly problems: readonly CheckpointProblem[],
  ) {
    super(message);
  }
}
