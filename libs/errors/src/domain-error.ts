/**
 * Typed domain errors. Libraries throw these; exactly one function in the service kit
 * (`toGrpcStatus`) turns them into gRPC status codes. The `kind` names the gRPC-independent
 * category so pure libraries never import gRPC.
 */
export type ErrorKind =
  | 'invalid_argument'
  | 'resource_exhausted'
  | 'out_of_range'
  | 'not_found'
  | 'unavailable'
  | 'deadline_exceeded'
  | 'cancelled'
  | 'failed_precondition'
  | 'unimplemented'
  | 'unauthenticated'
  | 'internal';

export abstract class DomainError extends Error {
  abstract readonly kind: ErrorKind;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Bad input from the caller; the message says what to change. */
export class InvalidArgumentError extends DomainError {
  readonly kind = 'invalid_argument';
}

/**
 * Transient overload (a full queue, a shutting-down pool): a retry later may succeed (HTTP 429).
 * Input over a limit is {@link LimitExceededError} instead (permanent, INVALID_ARGUMENT / 400).
 */
export class ResourceExhaustedError extends DomainError {
  readonly kind = 'resource_exhausted';
}

/** A value is valid in type but outside the range the model supports (e.g. context length). */
export class OutOfRangeError extends DomainError {
  readonly kind = 'out_of_range';
}

/** A looked-up item (e.g. a cache key) does not exist; the caller can recover by sending it in full. */
export class NotFoundError extends DomainError {
  readonly kind = 'not_found';
}

/** A dependency (another tier) cannot be reached. */
export class UnavailableError extends DomainError {
  readonly kind = 'unavailable';
}

export class DeadlineExceededError extends DomainError {
  readonly kind = 'deadline_exceeded';
}

/** The caller went away; work for it must stop. */
export class CancelledError extends DomainError {
  readonly kind = 'cancelled';
}

export class FailedPreconditionError extends DomainError {
  readonly kind = 'failed_precondition';
}

/** A feature that exists in the contract but is not built yet. Never answer with a fake result instead. */
export class UnimplementedError extends DomainError {
  readonly kind = 'unimplemented';
}

export class UnauthenticatedError extends DomainError {
  readonly kind = 'unauthenticated';
}

/** A bug or broken invariant on our side; the message is logged, the client sees a generic text. */
export class InternalError extends DomainError {
  readonly kind = 'internal';
}

export function isDomainError(err: unknown): err is DomainError {
  return err instanceof DomainError;
}
