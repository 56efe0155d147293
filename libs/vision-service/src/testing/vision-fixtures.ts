import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { Metadata, type status, type ServiceError } from '@grpc/grpc-js';
import {
  ElementType,
  floatTypeToWire,
  VisionServiceClient,
  type EmbedHeader,
  type EmbedRequest,
  type EmbedResponse,
} from '@internvl/contracts';
import { makeTinyCheckpoint } from '@internvl/checkpoint';
import { convertCheckpoint } from '@internvl/converter';
import { f32ToF16, type FloatType } from '@internvl/float-formats';
import { VISION_IO } from '@internvl/model-config';
import { createSession, float32Tensor, type OrtSession } from '@internvl/ort';
import { duplexCall, runLocalService, type LocalService } from '@internvl/service-kit';
import { createVisionApp, type VisionRuntime } from '../vision-app';
import type { EmbedPixels } from '@internvl/tier-clients';

// Test support shared by the vision specs: a tiny model built like any download, deterministic
// pixels, a service on port 0 with its runtime, and an independent ORT session to compare with.

export const S = 448;
/** Values in one tile of pixel_values. */
export const TILE = 3 * S * S;

/** A tiny random checkpoint converted at fp32 into a fresh temp folder (~1 s). */
export async function buildTinyModel(): Promise<{ work: string; checkpoint: string; model: string }> {
  const work = mkdtempSync(join(tmpdir(), 'internvl-vision-spec-'));
  const checkpoint = join(work, 'ckpt');
  const model = join(work, 'model-fp32');
  makeTinyCheckpoint(checkpoint, { llm: 'phi3', seed: 5 });
  await convertCheckpoint({ from: checkpoint, to: model, precision: 'fp32' });
  return { work, checkpoint, model };
}

/** Deterministic pixel_values in [-2, 2), distinct per seed. */
export function pixels(seed: number, tiles: number): Float32Array {
  let s = (seed * 2654435761) >>> 0;
  return Float32Array.from({ length: tiles * TILE }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32 - 0.5) * 4;
  });
}

/** pixel_values as sent on the wire, in float32 or rounded to float16. */
export function wire(values: Float32Array, dtype: FloatType = 'float32'): EmbedPixels {
  const data = dtype === 'float32' ? values : f32ToF16(values);
  return {
    bytes: Buffer.from(data.buffer, data.byteOffset, data.byteLength),
    shape: [values.length / TILE, 3, S, S],
    dtype: floatTypeToWire(dtype),
  };
}

/** A copy of float32 wire bytes as values. */
export function f32(bytes: Buffer): Float32Array {
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

/** Waits for a condition the test cannot await directly (server-side queue state), polling. */
export async function waitFor(what: string, condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

export interface Served extends LocalService<VisionServiceClient> {
  runtime: VisionRuntime;
}

/** The real vision service on port 0 with `model`, its client and its runtime. */
export async function serve(model: string, args: string[]): Promise<Served> {
  let runtime: VisionRuntime | undefined;
  const app = createVisionApp({ onReady: (r) => (runtime = r) });
  const local = await runLocalService(app, VisionServiceClient, [
    '--model',
    model,
    '--log-level',
    'silent',
    ...args,
  ]);
  return { ...local, runtime: runtime! };
}

export async function expectError(call: Promise<unknown>, code: status, pattern: RegExp): Promise<void> {
  const err = await call.then(
    () => assert.fail('expected an error'),
    (e: ServiceError) => e,
  );
  assert.equal(err.code, code, `${err.code} ${err.details}`);
  assert.match(err.details, pattern);
}

/** Sends exactly these messages (to build malformed streams) and collects the answer. */
export async function rawEmbed(
  client: VisionServiceClient,
  messages: EmbedRequest[],
): Promise<EmbedResponse[]> {
  const out: EmbedResponse[] = [];
  for await (const response of duplexCall(client.embed(new Metadata()), messages)) out.push(response);
  return out;
}

export const header = (h: Partial<EmbedHeader>): EmbedRequest => ({
  kind: {
    $case: 'header',
    value: { cacheKey: '', pixelValues: undefined, outputDtype: ElementType.ELEMENT_TYPE_FLOAT32, ...h },
  },
});

export const chunk = (bytes: number): EmbedRequest => ({
  kind: { $case: 'pixelChunk', value: Buffer.alloc(bytes) },
});

/** An ORT session of the same vision.onnx, opened here, independent of the service's. */
export class ReferenceRun {
  private constructor(private readonly session: OrtSession) {}

  static async open(model: string): Promise<ReferenceRun> {
    const { session } = await createSession(join(model, 'vision.onnx'), {
      provider: 'cpu',
      intraOpNumThreads: 1,
    });
    return new ReferenceRun(session);
  }

  /** image_embeds of fp32 pixels, as float32. */
  async embeds(values: Float32Array): Promise<Float32Array> {
    const out = await this.session.run({
      [VISION_IO.pixelValues]: float32Tensor(values, [values.length / TILE, 3, S, S]),
    });
    return out[VISION_IO.imageEmbeds]!.data as Float32Array;
  }

  close(): Promise<void> {
    return this.session.release();
  }
}

/** The files {@link serveTinyModelForSuite} builds: a temp folder with the checkpoint and the model. */
export interface TinyModelFiles {
  work: string;
  checkpoint: string;
  model: string;
}

/**
 * A spec file's usual setup: a `before` hook that builds the tiny model, opens its reference run
 * and serves it with `args`, and an `after` hook that stops, closes and removes all of it. What it
 * returns reads through to those once `before` has run.
 */
export function serveTinyModelForSuite(args: string[]): {
  files: TinyModelFiles;
  reference: ReferenceRun;
  main: Served;
} {
  let files: TinyModelFiles | undefined;
  let reference: ReferenceRun | undefined;
  let main: Served | undefined;
  before(async () => {
    files = await buildTinyModel();
    reference = await ReferenceRun.open(files.model);
    main = await serve(files.model, args);
  });
  after(async () => {
    await main?.stop();
    await reference?.close();
    if (files) rmSync(files.work, { recursive: true, force: true });
  });
  return {
    files: readThrough(() => files),
    reference: readThrough(() => reference),
    main: readThrough(() => main),
  };
}

/** A stand-in for `current()`'s object, for code that holds it before it exists; methods are bound. */
function readThrough<T extends object>(current: () => T | undefined): T {
  return new Proxy({} as T, {
    get: (_, key) => {
      const target = current() ?? assert.fail('the tiny model is used before its suite started');
      const value: unknown = Reflect.get(target, key);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
