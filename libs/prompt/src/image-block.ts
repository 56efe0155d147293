import { InvalidArgumentError } from '@internvl/errors';

/** InternVL's image tokens, in added-token order. */
export const IMAGE_TOKENS = { start: '<img>', end: '</img>', context: '<IMG_CONTEXT>' } as const;

/** The placeholder users write where an image goes. */
export const IMAGE_PLACEHOLDER = '<image>';

/** Image tokens each tile contributes (InternVL-1.5: 448² tile, 14 px patches, pixel shuffle 0.5). */
export const DEFAULT_NUM_IMAGE_TOKENS = 256;

/**
 * The text that stands for `numTiles` tiles: `<img>` + `<IMG_CONTEXT>`×(numImageTokens·numTiles) + `</img>`.
 * @throws InvalidArgumentError when either count is not a positive integer.
 */
export function imageBlock(numTiles: number, numImageTokens: number = DEFAULT_NUM_IMAGE_TOKENS): string {
  assertPositiveInteger(numTiles, 'numTiles');
  assertPositiveInteger(numImageTokens, 'numImageTokens');
  return IMAGE_TOKENS.start + IMAGE_TOKENS.context.repeat(numImageTokens * numTiles) + IMAGE_TOKENS.end;
}

/** Counts non-overlapping occurrences of `<image>` in `text`. */
export function countPlaceholders(text: string): number {
  return text.split(IMAGE_PLACEHOLDER).length - 1;
}

function assertPositiveInteger(value: number, name: string): void {
  if (!Number.isInteger(value) || value < 1) {
    throw new InvalidArgumentError(`${name} must be a positive integer, got ${String(value)}`);
  }
}
