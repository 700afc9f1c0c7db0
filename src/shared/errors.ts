/**
 * The error hierarchy. Every failure Atlas reports carries a `kind`; the kind alone decides what
 * happens next (wait and retry on the same instance, fail over to the next hop, or fail the request).
 * Errors are never recognised by their message text.
 */

import { scrub } from './secrets.js';

export const errorKinds = [
  'rate_limited',
  'unavailable',
  'timeout',
  'auth',
  'context_length',
  'content_policy',
  'invalid_request',
  'circuit_open',
  'cancelled',
] as const;

export type ErrorKind = (typeof errorKinds)[number];

/** What a worker does with a failed provider call. */
export type ErrorAction = 'retry' | 'failover' | 'fail';

/** Kinds that say something about the provider instance rather than the request: they count against its breaker. */
const instanceFaults: ReadonlySet<ErrorKind> = new Set(['unavailable', 'timeout', 'auth', 'rate_limited']);

export interface AtlasErrorOptions {
  cause?: unknown;
  /** Provider instance that raised the error, when there is one. */
  provider?: string;
  /** HTTP status behind the error, when there is one. */
  status?: number;
  /** For `rate_limited`: how long the provider asked us to wait. */
  retryAfterMs?: number;
}

export class AtlasError extends Error {
  readonly kind: ErrorKind;
  readonly provider: string | undefined;
  readonly status: number | undefined;
  readonly retryAfterMs: number | undefined;

  constructor(kind: ErrorKind, message: string, options: AtlasErrorOptions = {}) {
    // Messages are often built from an upstream's answer, which may echo the key it was sent.
    super(scrub(message), options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AtlasError';
    this.kind = kind;
    this.provider = options.provider;
    this.status = options.status;
    this.retryAfterMs = options.retryAfterMs;
  }

  /** True when this failure should count against the instance's circuit breaker. */
  get countsAgainstBreaker(): boolean {
    return instanceFaults.has(this.kind);
  }

  /**
   * What to do next. A rate limit whose Retry-After is at most `shortWaitMs` is worth waiting for on
   * the same instance; anything about the instance or the request's fit to it fails over; a request
   * that is wrong in itself, or was cancelled, fails.
   */
  action(shortWaitMs = 5_000): ErrorAction {
    switch (this.kind) {
      case 'rate_limited':
        return this.retryAfterMs !== undefined && this.retryAfterMs <= shortWaitMs ? 'retry' : 'failover';
      case 'invalid_request':
      case 'cancelled':
        return 'fail';
      default:
        return 'failover';
    }
  }

  toJSON(): SerializedError {
    return {
      kind: this.kind,
      message: this.message,
      ...(this.provider === undefined ? {} : { provider: this.provider }),
      ...(this.status === undefined ? {} : { status: this.status }),
      ...(this.retryAfterMs === undefined ? {} : { retryAfterMs: this.retryAfterMs }),
    };
  }
}

export interface SerializedError {
  kind: ErrorKind;
  message: string;
  provider?: string;
  status?: number;
  retryAfterMs?: number;
}

/** A value a person gave (a setting, a request field, a CLI flag) is wrong. Names the field and what was expected. */
export class ValidationError extends AtlasError {
  readonly field: string;
  constructor(field: string, expected: string, options: AtlasErrorOptions = {}) {
    super('invalid_request', `${field}: ${expected}`, options);
    this.name = 'ValidationError';
    this.field = field;
  }
}

/** A setting (environment variable or atlas.config.json field) is wrong. */
export class ConfigError extends ValidationError {
  constructor(setting: string, expected: string) {
    super(setting, expected);
    this.name = 'ConfigError';
  }
}

/** A request ended without a result: failed on every hop, cancelled, or past its deadline. */
export class RequestFailedError extends AtlasError {
  readonly requestId: string;
  /** Every attempt, with the error each one met. */
  readonly hops: ReadonlyArray<{
    provider: string;
    model: string;
    error?: { kind: ErrorKind; message: string };
  }>;

  constructor(requestId: string, error: SerializedError, hops: RequestFailedError['hops']) {
    super(error.kind, error.message, error.provider === undefined ? {} : { provider: error.provider });
    this.name = 'RequestFailedError';
    this.requestId = requestId;
    this.hops = hops;
  }
}

export function isAtlasError(error: unknown): error is AtlasError {
  return error instanceof AtlasError;
}

/** Wraps anything thrown into an AtlasError; unknown failures are treated as the instance being unavailable. */
export function toAtlasError(error: unknown, provider?: string): AtlasError {
  if (error instanceof AtlasError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new AtlasError('unavailable', message, { cause: error, ...(provider ? { provider } : {}) });
}
