import { AtlasError, type ErrorKind } from '../errors.js';

/** The error kind an HTTP status means, before any provider-specific error code refines it. */
export function kindFromStatus(status: number | undefined): ErrorKind {
  if (status === undefined) return 'unavailable';
  if (status === 401 || status === 403) return 'auth';
  if (status === 408) return 'timeout';
  if (status === 429) return 'rate_limited';
  if (status === 413) return 'context_length';
  if (status >= 500) return 'unavailable';
  if (status >= 400) return 'invalid_request';
  return 'unavailable';
}

type HeaderSource = Headers | Record<string, string | string[] | undefined> | undefined;

function header(headers: HeaderSource, name: string): string | undefined {
  if (!headers) return undefined;
  if (headers instanceof Headers) return headers.get(name) ?? undefined;
  const value = headers[name] ?? headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Milliseconds the provider asked us to wait: `retry-after-ms` (OpenAI), else `retry-after` as seconds
 * or as an HTTP date.
 */
export function retryAfterMs(headers: HeaderSource, now = Date.now()): number | undefined {
  const milliseconds = header(headers, 'retry-after-ms');
  if (milliseconds !== undefined && Number.isFinite(Number(milliseconds)))
    return Math.max(0, Number(milliseconds));
  const value = header(headers, 'retry-after');
  if (value === undefined) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

export interface HttpErrorDetails {
  provider: string;
  status: number | undefined;
  headers?: HeaderSource;
  /** Provider's machine-readable error code or type, which refines the kind the status gives. */
  code?: string | undefined;
  message: string;
  cause: unknown;
  /** Codes that mean the input was too long for the model. */
  contextLengthCodes?: readonly string[];
  /** Codes that mean the provider's content policy refused the request. */
  contentPolicyCodes?: readonly string[];
}

export function mapHttpError(details: HttpErrorDetails): AtlasError {
  let kind = kindFromStatus(details.status);
  if (details.code && details.contextLengthCodes?.includes(details.code)) kind = 'context_length';
  if (details.code && details.contentPolicyCodes?.includes(details.code)) kind = 'content_policy';
  const wait = kind === 'rate_limited' ? retryAfterMs(details.headers) : undefined;
  const status = details.status === undefined ? '' : ` (HTTP ${details.status})`;
  return new AtlasError(kind, `${details.provider}: ${details.message}${status}`, {
    provider: details.provider,
    cause: details.cause,
    ...(details.status === undefined ? {} : { status: details.status }),
    ...(wait === undefined ? {} : { retryAfterMs: wait }),
  });
}
