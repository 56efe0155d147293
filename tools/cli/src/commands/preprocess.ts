import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { imageCommandArgs, TILING_FLAGS } from './command-args';
import type { Command } from './registry';
import { defineSchema } from '@internvl/service-kit';

const schema = defineSchema({
  out: { type: 'string', default: '', doc: 'Where to write pixel_values as a NumPy .npy file (required).' },
  ...TILING_FLAGS,
  image_size: { type: 'int', default: 448, min: 14, max: 4096, doc: 'Tile edge in pixels.' },
  dtype: {
    type: 'string',
    default: 'fp32',
    choices: ['fp32', 'fp16'],
    doc: 'Element type written to the .npy file.',
  },
  auto_orient: {
    type: 'bool',
    default: false,
    doc: 'Apply EXIF orientation first (the reference does not).',
  },
  tiles_dir: {
    type: 'string',
    default: '',
    doc: 'Also write each 448x448 tile as tile_XX.png (before normalization).',
  },
  addr: { type: 'string', default: '127.0.0.1:50051', doc: 'Address of a running preprocess tier.' },
  local: {
    type: 'bool',
    default: false,
    doc: 'Run preprocessing in this process instead of calling --addr.',
  },
  max_image_pixels: {
    type: 'int',
    default: 89_478_485,
    min: 1,
    doc: 'With --local: largest decoded image accepted.',
  },
});

const USAGE = 'Usage: internvl preprocess IMAGE --out FILE.npy [options]';
const ABOUT = "Writes pixel_values [tiles, 3, S, S] exactly as InternVL's load_image builds them.";

export const preprocessCommand: Command = {
  summary: 'Tile and normalize an image into a .npy pixel_values tensor.',
  async run(argv) {
    const args = imageCommandArgs(argv, schema, USAGE, ABOUT);
    if (typeof args === 'number') return args;
    const { config, path, image } = args;
    const { encodeNpy } = await import('@internvl/imaging');
    const { floatTypeToWire } = await import('@internvl/contracts');
    const { floatTypeFromFlag } = await import('@internvl/float-formats');
    const dtype = floatTypeFromFlag(config.dtype);
    const wireOptions = {
      minTiles: config.min_num,
      maxTiles: config.max_num,
      useThumbnail: config.thumbnail,
      imageSize: config.image_size,
      autoOrient: config.auto_orient,
      dtype: floatTypeToWire(dtype),
    };
    const wantTiles = config.tiles_dir !== '';
    let result: {
      pixels: Uint8Array;
      shape: number[];
      cols: number;
      rows: number;
      numTiles: number;
      thumbnail: boolean;
      tiles: Uint8Array;
      hash: string;
    };
    if (config.local) {
      const { Preprocessor, effectiveOptions } = await import('@internvl/preprocess-service');
      const preprocessor = new Preprocessor({
        limits: { maxEncodedBytes: image.byteLength, maxPixels: config.max_image_pixels },
        workers: 0,
        maxQueue: 0,
        queueLimitHint: '',
      });
      const options = effectiveOptions(wireOptions, { minTiles: 1, maxTiles: 12, imageSize: 448, dtype });
      const o = await preprocessor.preprocess(image, options, wantTiles);
      result = {
        pixels: o.pixels,
        shape: o.shape,
        cols: o.cols,
        rows: o.rows,
        numTiles: o.numTiles,
        thumbnail: o.thumbnail,
        tiles: o.tiles,
        hash: o.contentHash,
      };
    } else {
      const { PreprocessServiceClient } = await import('@internvl/contracts');
      const { createClient } = await import('@internvl/service-kit');
      const { preprocessRemote } = await import('@internvl/tier-clients');
      const client = createClient(PreprocessServiceClient, {
        addresses: [config.addr],
        maxReceiveMessageBytes: 8 << 20,
        maxSendMessageBytes: 8 << 20,
      });
      try {
        const r = await preprocessRemote(
          client,
          image,
          { options: wireOptions, returnTiles: wantTiles },
          { deadline: new Date(Date.now() + 120_000) },
        );
        result = {
          pixels: r.pixelValues,
          shape: (r.result.pixelValues?.shape ?? []).map(Number),
          cols: r.result.gridCols,
          rows: r.result.gridRows,
          numTiles: r.result.numTiles,
          thumbnail: r.result.hasThumbnail,
          tiles: r.tiles,
          hash: r.result.contentHash,
        };
      } catch (err) {
        const e = err as { code?: number; details?: string };
        if (e.code === 14)
          throw new Error(
            `cannot reach the preprocess tier at ${config.addr} (${e.details}); start it with 'internvl serve preprocess' or pass --local`,
            { cause: err },
          );
        throw new Error(e.details ?? String(err), { cause: err });
      } finally {
        client.close();
      }
    }
    writeFileSync(config.out, encodeNpy(result.pixels, result.shape, dtype));
    if (wantTiles) {
      const sharp = (await import('sharp')).default;
      mkdirSync(config.tiles_dir, { recursive: true });
      const size = result.shape[2]!;
      const tileBytes = size * size * 3;
      for (let i = 0; i < result.numTiles; i++) {
        const raw = result.tiles.subarray(i * tileBytes, (i + 1) * tileBytes);
        await sharp(raw, { raw: { width: size, height: size, channels: 3 } })
          .png()
          .toFile(join(config.tiles_dir, `tile_${String(i).padStart(2, '0')}.png`));
      }
    }
    process.stdout.write(
      `${path}: grid ${result.cols}x${result.rows}, ${result.numTiles} tiles${result.thumbnail ? ' (incl. thumbnail)' : ''}, ` +
        `pixel_values [${result.shape.join(', ')}] ${config.dtype} → ${config.out}${wantTiles ? `, tiles → ${config.tiles_dir}` : ''}\n  content hash ${result.hash}\n`,
    );
    return 0;
  },
};
