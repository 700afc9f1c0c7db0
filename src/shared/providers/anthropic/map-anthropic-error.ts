import { AtlasError } from '../../errors.js';
import { cancelledError } from '../abort.js';
import { mapHttpError } from '../map-http-error.js';
import { anthropicSdkLoaded } from './load-anthropic-sdk.js';

/**
 * Maps anything the Anthropic SDK throws to an AtlasError. The API's prompt-too-long answer is a 400
 * `invalid_request_error` with no code of its own, so it maps to invalid_request; over-long prompts are
 * caught before sending by the provider's own context-window check.
 */
export function mapAnthropicError(error: unknown, provider: string, signal?: AbortSignal): AtlasError {
  const Anthropic = anthropicSdkLoaded();
  if (signal?.aborted || (Anthropic && error instanceof Anthropic.APIUserAbortError))
    return cancelledError(provider, error);
  if (error instanceof AtlasError) return error;
  if (!Anthropic) return unreadable(error, provider);
  if (error instanceof Anthropic.APIConnectionTimeoutError) {
    return new AtlasError('timeout', `${provider}: no answer within the timeout`, { provider, cause: error });
  }
  if (error instanceof Anthropic.APIConnectionError) {
    return new AtlasError('unavailable', `${provider}: connection failed`, { provider, cause: error });
  }
  if (error instanceof Anthropic.APIError && error.status !== undefined) {
    return mapHttpError({
      provider,
      status: error.status,
      headers: error.headers,
      code: error.errorCode ?? error.type ?? undefined,
      message: error.apiMessage ?? error.message,
      cause: error,
      contextLengthCodes: ['request_too_large'],
    });
  }
  return unreadable(error, provider);
}

function unreadable(error: unknown, provider: string): AtlasError {
  const detail = error instanceof Error ? error.message : String(error);
  return new AtlasError('unavailable', `${provider}: unreadable response (${detail})`, {
    provider,
    cause: error,
  });
}
