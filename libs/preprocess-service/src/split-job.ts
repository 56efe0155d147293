import { InternalError } from '@internvl/errors';
import { readImageHeader } from '@internvl/image-decode';
import { planTiles, simdResampleAvailable, type RowBand } from '@internvl/imaging';
import type { WorkerPool } from '@internvl/service-kit';
import type { TileJobInput, TileJobOutput } from './tile-job';

/**
 * Where the top share ends. The bottom share's worker decodes every row (JPEG and PNG decode
 * top to bottom) while the top share's stops after its own rows, so the top share takes the
 * larger part of the resizing and both finish at about the same time.
 */
const TOP_SHARE = 0.55;

/** Smaller images are not split: a second job and a second decode cost about what it saves. */
const MIN_SPLIT_PIXELS = 1 << 20;

/**
 * Preprocesses one image as two shares on two workers at once (each decodes the rows it needs
 * and writes its rows of every tile into one shared pixel_values); call it when two workers are
 * idle. Undefined when the image is not split, or when a share failed for a reason other than
 * the image itself: the caller then runs it as one job.
 */
export async function runSplitJob(
  pool: WorkerPool<TileJobInput, TileJobOutput>,
  input: TileJobInput,
  signal?: AbortSignal,
): Promise<TileJobOutput | undefined> {
  const { options } = input;
  // Shares run on the SIMD kernels only.
  if (!simdResampleAvailable()) return undefined;
  const header = readImageHeader(input.image, options.autoOrient);
  if (header === undefined) return undefined;
  const { width, height } = header;
  const pixels = width * height;
  if (pixels < MIN_SPLIT_PIXELS || pixels > input.limits.maxPixels) return undefined;
  const plan = planTiles(width, height, options.tiling);
  const elemBytes = options.dtype === 'float32' ? 4 : 2;
  const output = new SharedArrayBuffer(plan.numTiles * 3 * plan.imageSize * plan.imageSize * elemBytes);
  const bands: RowBand[] = [
    { from: 0, to: TOP_SHARE },
    { from: TOP_SHARE, to: 1 },
  ];
  try {
    // The encoded image is copied to each worker (not transferred): both decode it.
    const [top] = await Promise.all(
      bands.map((band) => pool.run({ ...input, share: { band, width, height, output } }, [], signal)),
    );
    return top;
  } catch (err) {
    if (err instanceof InternalError) return undefined;
    throw err;
  }
}
