// Worker-thread entry: decodes and tiles images off the event loop. Spawned by the preprocess tier's WorkerPool.
import { simdResampleAvailable } from '@internvl/imaging';
import { serveWorkerJobs } from '@internvl/service-kit';
import { runTileJob } from './run-tile-job';
import type { TileJobInput, TileJobOutput } from './tile-job';

// Compiles the SIMD kernels now, while the worker is idle, not during its first image.
simdResampleAvailable();

serveWorkerJobs<TileJobInput, TileJobOutput>(async (input) => {
  const output = await runTileJob(input);
  const buffers = [output.pixels.buffer, output.tiles.buffer].filter(
    (b): b is ArrayBuffer => b instanceof ArrayBuffer && b.byteLength > 0,
  );
  return { output, transfer: [...new Set(buffers)] };
});
