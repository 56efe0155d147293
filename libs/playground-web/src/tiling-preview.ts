import { readImageHeader } from '@internvl/image-format';
import { planTiles } from '@internvl/imaging/dist/tiling';

/** InternVL's tile edge in pixels (the served models use 448). */
export const TILE_SIZE = 448;
/** Tiles per image when the request does not say (the gateway's default --default-max-tiles). */
export const DEFAULT_MAX_TILES = 12;
/** InternVL's largest max_num. */
export const MAX_TILES = 40;

export interface TilePreview {
  cols: number;
  rows: number;
  thumbnail: boolean;
  /** Grid tiles plus the thumbnail: what the preprocess tier will make. */
  tiles: number;
}

/**
 * The image's size as the server reads it: from the file header, exactly as the gateway does
 * (EXIF orientation not applied, as the server does not apply it either). Undefined when the
 * header cannot be read (the server will say why, or the format is not supported).
 */
export function headerSize(bytes: Uint8Array): { width: number; height: number } | undefined {
  return readImageHeader(bytes);
}

/** The tile grid the server will choose for an image of this size: the same code as the server. */
export function tilePreview(width: number, height: number, maxTiles: number): TilePreview {
  const plan = planTiles(width, height, { minNum: 1, maxNum: maxTiles, imageSize: TILE_SIZE });
  return { cols: plan.grid.cols, rows: plan.grid.rows, thumbnail: plan.thumbnail, tiles: plan.numTiles };
}

/** "3 × 2 grid + thumbnail = 7 tiles", "1 tile". */
export function describeTiles(preview: TilePreview): string {
  if (preview.tiles === 1) return '1 × 1 grid = 1 tile';
  const grid = `${preview.cols} × ${preview.rows} grid`;
  return `${grid}${preview.thumbnail ? ' + thumbnail' : ''} = ${preview.tiles} tiles`;
}
