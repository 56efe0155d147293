import * as e from './domain-error';

const CONSTRUCTORS: Record<e.ErrorKind, new (message: string) => e.DomainError> = {
  invalid_argument: e.InvalidArgumentError,
  resource_exhausted: e.ResourceExhaustedError,
  out_of_range: e.OutOfRangeError,
  not_found: e.NotFoundError,
  unavailable: e.UnavailableError,
  deadline_exceeded: e.DeadlineExceededError,
  cancelled: e.CancelledError,
  failed_precondition: e.FailedPreconditionError,
  unimplemented: e.UnimplementedError,
  unauthenticated: e.UnauthenticatedError,
  internal: e.InternalError,
};

/**
 * Rebuilds a typed error from its kind and message, for errors that crossed a thread boundary
 * (structured clone keeps only plain fields). An unknown kind is an internal error.
 */
export function domainErrorFromKind(kind: string | undefined, message: string): e.DomainError {
  const Ctor = kind && kind in CONSTRUCTORS ? CONSTRUCTORS[kind as e.ErrorKind] : e.InternalError;
  return new Ctor(message);
}
