import { status as Status } from '@grpc/grpc-js';
import { InvalidArgumentError } from '@internvl/errors';
import { toGrpcStatus } from '@internvl/service-kit';
import { gatewayOption } from '../gateway-config';

/** The error body every OpenAI client understands. */
export interface OpenAiErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

/** An error that only exists at the HTTP layer (routing, auth, body size, unknown model). */
export class OpenAiHttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly type: string,
    readonly code: string | null = null,
    readonly param: string | null = null,
    /** Extra response headers (Allow for 405, WWW-Authenticate for 401). */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'OpenAiHttpError';
  }
}

/** A bad request body; `param` names the offending field the way OpenAI does ("messages[0].content"). */
export class InvalidRequestError extends InvalidArgumentError {
  constructor(
    message: string,
    readonly param: string | null = null,
  ) {
    super(message);
  }
}

export interface MappedOpenAiError {
  status: number;
  body: OpenAiErrorBody;
  headers: Record<string, string>;
  /** True for bugs: the caller logs the original error with its stack. */
  unexpected: boolean;
}

interface HttpShape {
  status: number;
  type: string;
  code: string | null;
}

// Domain errors first become a gRPC code (the one kind→code table lives in service-kit), so
// errors of this process and those relayed from a downstream tier take the same road.
const HTTP_OF_GRPC: Partial<Record<Status, HttpShape>> = {
  [Status.INVALID_ARGUMENT]: { status: 400, type: 'invalid_request_error', code: null },
  [Status.OUT_OF_RANGE]: { status: 400, type: 'invalid_request_error', code: null },
  [Status.FAILED_PRECONDITION]: { status: 400, type: 'invalid_request_error', code: null },
  [Status.UNAUTHENTICATED]: { status: 401, type: 'invalid_request_error', code: 'invalid_api_key' },
  [Status.PERMISSION_DENIED]: { status: 403, type: 'permission_error', code: null },
  [Status.NOT_FOUND]: { status: 404, type: 'invalid_request_error', code: 'not_found' },
  [Status.RESOURCE_EXHAUSTED]: { status: 429, type: 'rate_limit_exceeded', code: 'rate_limit_exceeded' },
  [Status.CANCELLED]: { status: 499, type: 'invalid_request_error', code: 'cancelled' },
  [Status.UNIMPLEMENTED]: { status: 501, type: 'invalid_request_error', code: 'unimplemented' },
  [Status.UNAVAILABLE]: { status: 503, type: 'server_error', code: 'service_unavailable' },
  [Status.DEADLINE_EXCEEDED]: { status: 504, type: 'timeout_error', code: 'deadline_exceeded' },
};

const INTERNAL: HttpShape = { status: 500, type: 'server_error', code: null };

/**
 * THE one place where errors become OpenAI-shaped HTTP errors: HTTP-layer errors keep their
 * status, typed domain errors and downstream gRPC errors map by gRPC code, anything else is a
 * bug and becomes a 500 with a generic text.
 */
export function toOpenAiError(err: unknown): MappedOpenAiError {
  if (err instanceof OpenAiHttpError) {
    return {
      status: err.status,
      body: errorBody(err.message, err.type, err.param, err.code),
      headers: err.headers,
      unexpected: false,
    };
  }
  const { status, unexpected } = toGrpcStatus(err);
  const shape = HTTP_OF_GRPC[status.code] ?? INTERNAL;
  const param = err instanceof InvalidRequestError ? err.param : null;
  return {
    status: shape.status,
    body: errorBody(status.details, shape.type, param, shape.code),
    headers: {},
    unexpected,
  };
}

export function errorBody(
  message: string,
  type: string,
  param: string | null = null,
  code: string | null = null,
): OpenAiErrorBody {
  return { error: { message, type, param, code } };
}

export function notFoundRoute(method: string, path: string): OpenAiHttpError {
  return new OpenAiHttpError(
    404,
    `Invalid URL (${method} ${path}): this server has POST /v1/chat/completions, GET /v1/models, GET /health and GET /ready`,
    'invalid_request_error',
  );
}

export function methodNotAllowed(method: string, path: string, allowed: readonly string[]): OpenAiHttpError {
  return new OpenAiHttpError(
    405,
    `Method ${method} is not allowed on ${path}; use ${allowed.join(' or ')}`,
    'invalid_request_error',
    'method_not_allowed',
    null,
    { allow: allowed.join(', ') },
  );
}

export function bodyTooLarge(limitBytes: number): OpenAiHttpError {
  return new OpenAiHttpError(
    413,
    `Request body exceeds the limit of ${limitBytes} bytes (raise the gateway's ${gatewayOption('max_body_bytes')}, ` +
      `or send fewer or smaller images)`,
    'invalid_request_error',
    'request_too_large',
    null,
    // The rest of the body is not worth reading: close the connection after the answer.
    { connection: 'close' },
  );
}

export function invalidApiKey(message: string): OpenAiHttpError {
  return new OpenAiHttpError(401, message, 'invalid_request_error', 'invalid_api_key', null, {
    'www-authenticate': 'Bearer',
  });
}

export function modelNotFound(requested: string, served: string): OpenAiHttpError {
  return new OpenAiHttpError(
    404,
    `The model '${requested}' does not exist; this server serves '${served}'`,
    'invalid_request_error',
    'model_not_found',
    'model',
  );
}
