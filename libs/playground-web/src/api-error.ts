/** An error answer of the OpenAI-compatible API, with the fields of its error body. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly type?: string,
    readonly code?: string,
    readonly param?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** One line for people: "400 invalid_request_error (param messages[0]): …". */
  describe(): string {
    const kind = [this.status > 0 ? String(this.status) : '', this.code ?? this.type ?? '']
      .filter(Boolean)
      .join(' ');
    const param = this.param ? ` (${this.param})` : '';
    return `${kind ? `${kind}: ` : ''}${this.message}${param}`;
  }
}

interface ErrorBody {
  error?: { message?: unknown; type?: unknown; code?: unknown; param?: unknown };
}

const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);

/**
 * The error of a failed response from its status and body text: OpenAI's
 * `{"error": {"message", "type", "code", "param"}}` when the body has it, else the status text.
 */
export function apiErrorFromBody(status: number, statusText: string, body: string): ApiError {
  let parsed: ErrorBody | undefined;
  try {
    parsed = JSON.parse(body) as ErrorBody;
  } catch {
    parsed = undefined;
  }
  const error = parsed?.error;
  const message =
    str(error?.message) ??
    (body.trim() !== '' && body.length < 300 ? body.trim() : statusText || `HTTP ${status}`);
  return new ApiError(message, status, str(error?.type), str(error?.code), str(error?.param));
}

/** An `{"error": …}` event inside a stream (the answer failed after it started). */
export function apiErrorFromEvent(event: unknown): ApiError | undefined {
  const error = (event as ErrorBody | null)?.error;
  if (typeof error !== 'object' || error === null) return undefined;
  return new ApiError(
    str(error.message) ?? 'the stream ended with an error',
    0,
    str(error.type),
    str(error.code),
    str(error.param),
  );
}
