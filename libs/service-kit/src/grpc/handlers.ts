import type {
  handleBidiStreamingCall,
  handleClientStreamingCall,
  handleServerStreamingCall,
  handleUnaryCall,
  sendUnaryData,
  ServerDuplexStream,
  ServerWritableStream,
  StatusObject,
} from '@grpc/grpc-js';
import { throwIfAborted } from '@internvl/errors';
import type { Logger } from '../logging/logger';
import { createCallContext, type CallContext } from './call-context';
import { assertWithinLimit } from './message-limit';
import { toGrpcStatus } from './to-grpc-status';

/** What the handler adapters need from the hosting server. */
export interface HandlerEnv {
  log: Logger;
  /** Aborted when the server is forced down: every call's signal follows it. */
  serverSignal: AbortSignal;
  /** Shown in RESOURCE_EXHAUSTED messages for oversize requests, e.g. "--max-receive-message-bytes". */
  messageLimitHint: string;
}

export type UnaryHandler<Req, Res> = (request: Req, ctx: CallContext) => Promise<Res>;
export type ServerStreamHandler<Req, Res> = (request: Req, ctx: CallContext) => AsyncIterable<Res>;
export type ClientStreamHandler<Req, Res> = (requests: AsyncIterable<Req>, ctx: CallContext) => Promise<Res>;
export type BidiStreamHandler<Req, Res> = (
  requests: AsyncIterable<Req>,
  ctx: CallContext,
) => AsyncIterable<Res>;

function logFailure(ctx: CallContext, err: unknown, unexpected: boolean): void {
  if (unexpected) ctx.log.error({ err }, 'call failed with an unexpected error');
  else ctx.log.debug({ err: err instanceof Error ? err.message : err }, 'call failed');
}

/** Incoming messages of a stream, checked for size and cancellation, without destroying the call on early exit. */
async function* readMessages<Req>(
  call: ServerDuplexStream<Req, unknown> | NodeJS.ReadableStream,
  ctx: CallContext,
  env: HandlerEnv,
): AsyncGenerator<Req> {
  const iterator = (call as unknown as import('node:stream').Readable).iterator({ destroyOnReturn: false });
  for await (const message of iterator) {
    throwIfAborted(ctx.signal);
    assertWithinLimit(message, env.messageLimitHint);
    yield message as Req;
  }
  throwIfAborted(ctx.signal);
}

async function writeAll<Res>(
  call: ServerWritableStream<unknown, Res> | ServerDuplexStream<unknown, Res>,
  responses: AsyncIterable<Res>,
  ctx: CallContext,
): Promise<void> {
  for await (const response of responses) {
    throwIfAborted(ctx.signal);
    if (!call.write(response)) {
      await new Promise<void>((resolve, reject) => {
        const onAbort = () => reject(ctx.signal.reason);
        ctx.signal.addEventListener('abort', onAbort, { once: true });
        call.once('drain', () => {
          ctx.signal.removeEventListener('abort', onAbort);
          resolve();
        });
      });
    }
  }
}

function failStream(
  call: ServerWritableStream<unknown, unknown> | ServerDuplexStream<unknown, unknown>,
  ctx: CallContext,
  err: unknown,
): void {
  const { status, unexpected } = toGrpcStatus(err);
  logFailure(ctx, err, unexpected);
  if (!call.cancelled) call.emit('error', status);
}

/**
 * The skeleton every adapter shares: a call context (signal, deadline, logger), the body run
 * once, failures answered by `fail`, and the context disposed whatever happens.
 */
function handleCall<C extends Parameters<typeof createCallContext>[0]>(
  env: HandlerEnv,
  method: string,
  call: C,
  body: (ctx: CallContext) => Promise<void>,
  fail: (ctx: CallContext, err: unknown) => void,
): void {
  const { context, dispose } = createCallContext(call, method, env.log, env.serverSignal);
  void (async () => {
    try {
      await body(context);
    } catch (err) {
      fail(context, err);
    } finally {
      dispose();
    }
  })();
}

function failUnary(
  callback: (status: Partial<StatusObject>) => void,
): (ctx: CallContext, err: unknown) => void {
  return (ctx, err) => {
    const { status, unexpected } = toGrpcStatus(err);
    logFailure(ctx, err, unexpected);
    callback(status);
  };
}

/** handleCall for a call answered once, through `callback`, with what `respond` resolves to. */
function answerOnce<Res>(
  env: HandlerEnv,
  method: string,
  call: Parameters<typeof createCallContext>[0],
  callback: sendUnaryData<Res>,
  respond: (ctx: CallContext) => Promise<Res>,
): void {
  handleCall(env, method, call, async (ctx) => callback(null, await respond(ctx)), failUnary(callback));
}

/** handleCall for a call answered by `respond`'s responses, written with back-pressure, then ended. */
function answerStreamed<Res>(
  env: HandlerEnv,
  method: string,
  call: ServerWritableStream<unknown, Res> | ServerDuplexStream<unknown, Res>,
  respond: (ctx: CallContext) => AsyncIterable<Res>,
): void {
  handleCall(
    env,
    method,
    call,
    async (ctx) => {
      await writeAll(call, respond(ctx), ctx);
      call.end();
    },
    (ctx, err) => failStream(call, ctx, err),
  );
}

/** Adapts an `async (request, ctx) => response` function to a grpc-js unary handler. */
export function unary<Req, Res>(
  env: HandlerEnv,
  method: string,
  fn: UnaryHandler<Req, Res>,
): handleUnaryCall<Req, Res> {
  return (call, callback) =>
    answerOnce(env, method, call, callback, (ctx) => {
      assertWithinLimit(call.request, env.messageLimitHint);
      return fn(call.request, ctx);
    });
}

/** Adapts an `async function*` to a grpc-js server-streaming handler with back-pressure. */
export function serverStreaming<Req, Res>(
  env: HandlerEnv,
  method: string,
  fn: ServerStreamHandler<Req, Res>,
): handleServerStreamingCall<Req, Res> {
  return (call) =>
    answerStreamed(env, method, call, (ctx) => {
      assertWithinLimit(call.request, env.messageLimitHint);
      return fn(call.request, ctx);
    });
}

/** Adapts `async (requests, ctx) => response` to a grpc-js client-streaming handler. */
export function clientStreaming<Req, Res>(
  env: HandlerEnv,
  method: string,
  fn: ClientStreamHandler<Req, Res>,
): handleClientStreamingCall<Req, Res> {
  return (call, callback) =>
    answerOnce(env, method, call, callback, (ctx) => fn(readMessages<Req>(call, ctx, env), ctx));
}

/** Adapts `async function* (requests, ctx)` to a grpc-js bidirectional-streaming handler. */
export function bidiStreaming<Req, Res>(
  env: HandlerEnv,
  method: string,
  fn: BidiStreamHandler<Req, Res>,
): handleBidiStreamingCall<Req, Res> {
  return (call) => answerStreamed(env, method, call, (ctx) => fn(readMessages<Req>(call, ctx, env), ctx));
}
