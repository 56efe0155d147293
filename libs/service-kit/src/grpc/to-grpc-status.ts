import { status as Status, type StatusObject, Metadata } from '@grpc/grpc-js';
import { isDomainError, type ErrorKind } from '@internvl/errors';

const CODE_OF_KIND: Record<ErrorKind, Status> = {
  invalid_argument: Status.INVALID_ARGUMENT,
  resource_exhausted: Status.RESOURCE_EXHAUSTED,
  out_of_range: Status.OUT_OF_RANGE,
  not_found: Status.NOT_FOUND,
  unavailable: Status.UNAVAILABLE,
  deadline_exceeded: Status.DEADLINE_EXCEEDED,
  cancelled: Status.CANCELLED,
  failed_precondition: Status.FAILED_PRECONDITION,
  unimplemented: Status.UNIMPLEMENTED,
  unauthenticated: Status.UNAUTHENTICATED,
  internal: Status.INTERNAL,
};

/** A gRPC error received from another tier (grpc-js ServiceError shape). */
function isGrpcError(err: unknown): err is { code: Status; details: string } {
  return (
    typeof err === 'object' &&
    err !== null &&
    typeof (err as { code?: unknown }).code === 'number' &&
    'details' in err
  );
}

export interface MappedStatus {
  status: Partial<StatusObject> & { code: Status; details: string };
  /** True when the error was not expected (a bug): the caller logs it with its stack. */
  unexpected: boolean;
}

/**
 * THE one place where errors become gRPC status codes. Typed domain errors map by kind with
 * their message; errors relayed from a downstream tier keep their code; anything else is a bug
 * and becomes INTERNAL with a generic text (never a stack trace to the client).
 */
export function toGrpcStatus(err: unknown): MappedStatus {
  if (isDomainError(err)) {
    const unexpected = err.kind === 'internal';
    const details = unexpected ? 'internal error (logged on the server)' : err.message;
    return { status: { code: CODE_OF_KIND[err.kind], details, metadata: new Metadata() }, unexpected };
  }
  if (isGrpcError(err)) {
    return { status: { code: err.code, details: err.details, metadata: new Metadata() }, unexpected: false };
  }
  return {
    status: {
      code: Status.INTERNAL,
      details: 'internal error (logged on the server)',
      metadata: new Metadata(),
    },
    unexpected: true,
  };
}
