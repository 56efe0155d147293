import { availableParallelism } from 'node:os';
import { FailedPreconditionError } from '@internvl/errors';
import { InferenceSession } from 'onnxruntime-node';
import type { OrtSession } from './ort-types';

/** Where a session runs. */
export type OrtProvider = 'cpu' | 'cuda';

/** Options for {@link createSession}. */
export interface CreateSessionOptions {
  /** Execution provider to ask for; CUDA falls back to CPU (with a log line) unless `requireGpu`. */
  provider: OrtProvider;
  /** CUDA device ordinal (default 0). */
  deviceId?: number;
  /** CPU threads for one op (default: `os.availableParallelism()`; GEMM scales ~2x from 1 to 2 threads). */
  intraOpNumThreads?: number;
  /**
   * Let idle pool threads spin (default false). Off, decode-time GEMVs ran faster on a 2-vCPU box
   * because spinning threads compete with the one doing the work.
   */
  allowSpinning?: boolean;
  /** Fail instead of falling back to CPU when CUDA cannot be used. */
  requireGpu?: boolean;
  /** Receives the fallback warning. */
  log?: (msg: string) => void;
}

/** A session and the provider it actually got. */
export interface SessionHandle {
  session: OrtSession;
  provider: OrtProvider;
}

const CUDA_INSTALL_HINT =
  'the CUDA execution provider is not installed; reinstall onnxruntime-node with its CUDA 12 binaries: ' +
  '`ONNXRUNTIME_NODE_INSTALL=cuda12 npm ci` (its install script must be allowed to run; needs CUDA 12 and cuDNN 9)';

function baseOptions(options: CreateSessionOptions): InferenceSession.SessionOptions {
  return {
    graphOptimizationLevel: 'all',
    enableCpuMemArena: true,
    interOpNumThreads: 1,
    intraOpNumThreads: options.intraOpNumThreads ?? availableParallelism(),
    extra: { session: { intra_op: { allow_spinning: options.allowSpinning ? '1' : '0' } } },
  };
}

function describe(model: string | Uint8Array): string {
  return typeof model === 'string' ? model : `<${model.byteLength}-byte model>`;
}

async function load(model: string | Uint8Array, opts: InferenceSession.SessionOptions): Promise<OrtSession> {
  // Two calls because TypeScript cannot pick an overload for the union.
  return typeof model === 'string'
    ? InferenceSession.create(model, opts)
    : InferenceSession.create(model, opts);
}

/**
 * Opens an ONNX model (a file path, so external data resolves, or in-memory bytes) on the asked
 * provider. CUDA that cannot load (binaries not installed, no driver) falls back to CPU with a
 * warning, or throws FailedPreconditionError when `requireGpu` is set. A model ORT rejects also
 * throws FailedPreconditionError (it is a deployment problem, not a request problem).
 */
export async function createSession(
  model: string | Uint8Array,
  options: CreateSessionOptions,
): Promise<SessionHandle> {
  const base = baseOptions(options);
  if (options.provider === 'cuda') {
    try {
      const session = await load(model, {
        ...base,
        executionProviders: [{ name: 'cuda', deviceId: options.deviceId ?? 0 }, 'cpu'],
      });
      return { session, provider: 'cuda' };
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      if (options.requireGpu) {
        throw new FailedPreconditionError(
          `GPU required but CUDA is unavailable (${reason}): ${CUDA_INSTALL_HINT}`,
          {
            cause: err,
          },
        );
      }
      options.log?.(
        `CUDA unavailable (${reason}); falling back to CPU. To use the GPU: ${CUDA_INSTALL_HINT}`,
      );
    }
  }
  try {
    const session = await load(model, { ...base, executionProviders: ['cpu'] });
    return { session, provider: 'cpu' };
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new FailedPreconditionError(`cannot load ONNX model ${describe(model)}: ${reason}`, { cause: err });
  }
}
