import { type ErrorKind, isAtlasError, ValidationError } from '../shared/errors.js';

/**
 * The error body of every route, shaped as OpenAI's so its clients read it as they read OpenAI's:
 * `type` is the Atlas error kind (or an HTTP-level one), `code` a stable name, `param` the field at fault.
 */
export interface ErrorBody {
  error: { message: string; type: string; code: string; param: string | null };
}

/** An error raised by the HTTP layer itself (auth, routing, size), with its status. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly param: string | null = null,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

const statusByKind: Record<ErrorKind, number> = {
  invalid_request: 400,
  context_length: 400,
  content_policy: 400,
  auth: 502,
  rate_limited: 429,
  unavailable: 503,
  circuit_open: 503,
  timeout: 504,
  cancelled: 409,
};

/** The status and body an error is answered with. Unknown errors become a 500 without their details. */
export function errorReply(error: unknown): { status: number; body: ErrorBody } {
  if (error instanceof HttpError)
    return { status: error.status, body: body(error.message, 'http_error', error.code, error.param) };
  if (isAtlasError(error)) {
    const param = error instanceof ValidationError ? error.field : null;
    return { status: statusByKind[error.kind], body: body(error.message, error.kind, error.kind, param) };
  }
  const status = (error as { statusCode?: number }).statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const code = (error as { code?: string }).code ?? 'bad_request';
    const message = status === 413 ? 'request body too large' : (error as Error).message;
    return { status, body: body(message, 'http_error', code.toLowerCase(), null) };
  }
  return { status: 500, body: body('internal error', 'internal_error', 'internal_error', null) };
}

function body(message: string, type: string, code: string, param: string | null): ErrorBody {
  return { error: { message, type, code, param } };
}

export function notFound(what: string, id: string): HttpError {
  return new HttpError(404, 'not_found', `no ${what} '${id}' (unknown, or expired)`, 'id');
}
