import {
  ElementType,
  imageCacheKey,
  PreprocessServiceService,
  resolveImageKeyOptions,
  type PreprocessRequest,
  type PreprocessResponse,
  type TilingOptions,
} from '@internvl/contracts';
import { InvalidArgumentError, ResourceExhaustedError } from '@internvl/errors';
import { bidiStreaming, ChunkAssembler, chunkBytes, type CallContext } from '@internvl/service-kit';
import { FAKE_ENV, startFakeServer, type Barrier, type FakeServer } from './fake-server';

export interface FakePreprocessCall {
  /** The image bytes as text (fake images are short texts such as "tiles=3 cat"). */
  image: string;
  options: TilingOptions;
  deadline: Date | undefined;
}

/** Fake pixel_values: [tiles, 3, 2, 2] fp16, far smaller than real 448px tiles. */
const TILE_SHAPE = [3, 2, 2];
const TILE_BYTES = 3 * 2 * 2 * 2;

/**
 * The content hash the fake answers for an image: the real key over the options as the real tier
 * resolves them (so it equals the key the gateway computes when it sends every option).
 */
export function fakeContentHash(image: string, options: TilingOptions): string {
  return imageCacheKey(Buffer.from(image), resolveImageKeyOptions(options, 448));
}

/**
 * A scripted PreprocessService. An image is a text: "tiles=N" sets its tile count (default 1),
 * "bad" answers INVALID_ARGUMENT, "busy" RESOURCE_EXHAUSTED. Records every call and how many
 * ran at once; `barrier` makes calls wait for each other.
 */
export class FakePreprocess {
  readonly calls: FakePreprocessCall[] = [];
  inFlight = 0;
  maxInFlight = 0;
  barrier: Barrier | undefined;
  /** Calls allowed at once, like the real tier's workers + max_queue; more get RESOURCE_EXHAUSTED. */
  maxQueue = Infinity;
  /** How long each call holds its slot (so that calls overlap). */
  delayMs = 0;
  /** The images being worked on now (after their bytes arrived). */
  readonly active = new Set<string>();
  /** Called with `active` each time an image starts. */
  onStart: ((active: ReadonlySet<string>) => void) | undefined;

  private async *handle(
    requests: AsyncIterable<PreprocessRequest>,
    ctx: CallContext,
  ): AsyncGenerator<PreprocessResponse> {
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    let image = '';
    try {
      if (this.inFlight > this.maxQueue)
        throw new ResourceExhaustedError('the fake preprocess queue is full');
      let options: TilingOptions | undefined;
      let bytes: ChunkAssembler | undefined;
      for await (const request of requests) {
        const kind = request.kind;
        if (kind?.$case === 'header') {
          options = kind.value.options;
          bytes = new ChunkAssembler(kind.value.imageByteLength, 'image');
        } else if (kind?.$case === 'imageChunk') bytes!.push(kind.value);
      }
      image = bytes!.finish().toString('utf8');
      this.calls.push({ image, options: options!, deadline: ctx.deadline });
      this.active.add(image);
      this.onStart?.(this.active);
      await this.barrier?.wait();
      if (this.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.delayMs));
      if (image.includes('bad')) throw new InvalidArgumentError('cannot decode the image: not a picture');
      if (image.includes('busy')) throw new ResourceExhaustedError('the preprocess queue is full');
      const tiles = Number(/tiles=(\d+)/.exec(image)?.[1] ?? 1);
      const pixels = Buffer.alloc(tiles * TILE_BYTES, 7);
      yield {
        kind: {
          $case: 'result',
          value: {
            pixelValues: {
              dtype: ElementType.ELEMENT_TYPE_FLOAT16,
              shape: [tiles, ...TILE_SHAPE],
              byteLength: pixels.byteLength,
            },
            gridCols: tiles,
            gridRows: 1,
            numTiles: tiles,
            hasThumbnail: false,
            contentHash: fakeContentHash(image, options!),
            imageWidth: 448 * tiles,
            imageHeight: 448,
            tilesByteLength: 0,
          },
        },
      };
      for (const chunk of chunkBytes(pixels)) yield { kind: { $case: 'pixelChunk', value: chunk } };
    } finally {
      this.active.delete(image);
      this.inFlight -= 1;
    }
  }

  start(): Promise<FakeServer> {
    return startFakeServer(PreprocessServiceService, {
      preprocess: bidiStreaming(FAKE_ENV, 'preprocess', (requests: AsyncIterable<PreprocessRequest>, ctx) =>
        this.handle(requests, ctx),
      ),
    });
  }
}
