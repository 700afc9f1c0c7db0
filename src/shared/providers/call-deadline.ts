import { AtlasError } from '../errors.js';
import { cancelledError } from './abort.js';

/**
 * The SDK's own timeout stops once response headers arrive, so a server that answers headers and then
 * goes silent would hold a call (and its worker) forever. A deadline aborts the call after `timeoutMs`
 * of silence and remembers whether the caller or the clock aborted it, so the error gets the right kind.
 */
export class CallDeadline {
  /** The signal to hand the SDK: aborts when the caller aborts or the deadline passes. */
  readonly signal: AbortSignal;
  private readonly clock = new AbortController();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly timeoutMs: number,
    private readonly callerSignal: AbortSignal | undefined,
  ) {
    this.signal = callerSignal ? AbortSignal.any([callerSignal, this.clock.signal]) : this.clock.signal;
    this.touch();
  }

  /** Restarts the clock; a stream calls it on every chunk, so only silence counts against it. */
  touch(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.clock.abort(), this.timeoutMs);
  }

  /** Stops the clock until the next `touch()`, while time passes on Atlas's side rather than the server's. */
  pause(): void {
    clearTimeout(this.timer);
  }

  dispose(): void {
    clearTimeout(this.timer);
  }

  /** The error to report when the call was stopped by its caller (`cancelled`) or by the clock (`timeout`). */
  failure(provider: string): AtlasError | undefined {
    if (this.callerSignal?.aborted) return cancelledError(provider, this.callerSignal.reason);
    if (this.clock.signal.aborted) {
      return new AtlasError('timeout', `${provider}: no answer within ${this.timeoutMs} ms`, { provider });
    }
    return undefined;
  }
}
