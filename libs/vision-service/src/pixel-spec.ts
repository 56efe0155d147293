import { floatTypeFromWire, type TensorSpec } from '@internvl/contracts';
import { InvalidArgumentError, LimitExceededError } from '@internvl/errors';
import { BYTES_PER_ELEMENT, type FloatType } from '@internvl/float-formats';

/** A request's pixel_values description, checked against the loaded model. */
export interface PixelSpec {
  tiles: number;
  type: FloatType;
  byteLength: number;
}

/** What pixel_values must look like for the loaded model and this tier's limits. */
export interface PixelLimits {
  /** Tile edge of the model (config.force_image_size, 448). */
  imageSize: number;
  maxRequestTiles: number;
  /** Names the option that raises maxRequestTiles. */
  maxRequestTilesHint: string;
}

/**
 * Checks dtype, shape [tiles, 3, S, S] and byte_length of a request's pixel_values before any byte
 * is accepted, so a bad tensor is refused with a message naming the problem and never reaches a batch.
 */
export function checkPixelSpec(spec: TensorSpec, limits: PixelLimits): PixelSpec {
  const type = floatTypeFromWire(spec.dtype, 'pixel_values.dtype');
  const S = limits.imageSize;
  const shape = spec.shape.map(Number);
  const expected = `[tiles, 3, ${S}, ${S}]`;
  if (
    shape.length !== 4 ||
    !shape.every((d) => Number.isSafeInteger(d)) ||
    shape[1] !== 3 ||
    shape[2] !== S ||
    shape[3] !== S
  ) {
    throw new InvalidArgumentError(
      `pixel_values.shape is [${shape.join(', ')}]; this model takes ${expected} (image size ${S})`,
    );
  }
  const tiles = shape[0]!;
  if (tiles < 1)
    throw new InvalidArgumentError(`pixel_values.shape has ${tiles} tiles; send at least one tile`);
  if (tiles > limits.maxRequestTiles) {
    throw new LimitExceededError(
      `pixel_values has ${tiles} tiles, over the limit of ${limits.maxRequestTiles} per request; raise it with ${limits.maxRequestTilesHint}`,
    );
  }
  const byteLength = tiles * 3 * S * S * BYTES_PER_ELEMENT[type];
  if (Number(spec.byteLength) !== byteLength) {
    throw new InvalidArgumentError(
      `pixel_values.byte_length is ${spec.byteLength} but shape [${shape.join(', ')}] of ${type} needs ${byteLength} bytes`,
    );
  }
  return { tiles, type, byteLength };
}
