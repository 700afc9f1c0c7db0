import { AtlasError } from '../errors.js';

export function cancelledError(provider: string, cause?: unknown): AtlasError {
  return new AtlasError('cancelled', 'the call was cancelled', { provider, cause });
}

export function throwIfAborted(signal: AbortSignal | undefined, provider: string): void {
  if (signal?.aborted) throw cancelledError(provider, signal.reason);
}

/** Resolves after `ms`, or rejects with a `cancelled` error as soon as the signal aborts. */
export function sleep(ms: number, signal: AbortSignal | undefined, provider: string): Promise<void> {
  if (ms <= 0)
    return signal?.aborted ? Promise.reject(cancelledError(provider, signal.reason)) : Promise.resolve();
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(cancelledError(provider, signal.reason));
    const onAbort = () => {
      clearTimeout(timer);
      reject(cancelledError(provider, signal?.reason));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
