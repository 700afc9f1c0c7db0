import OpenAI from 'openai';
import { AtlasError } from '../../errors.js';
import { cancelledError } from '../abort.js';
import { mapHttpError } from '../map-http-error.js';

/** Maps anything the OpenAI SDK throws to an AtlasError of the right kind. */
export function mapOpenAIError(error: unknown, provider: string, signal?: AbortSignal): AtlasError {
  // An abort can surface as anything (a closed stream, a truncated body): the signal says what it was.
  if (signal?.aborted || error instanceof OpenAI.APIUserAbortError) return cancelledError(provider, error);
  if (error instanceof AtlasError) return error;
  if (error instanceof OpenAI.APIConnectionTimeoutError) {
    return new AtlasError('timeout', `${provider}: no answer within the timeout`, { provider, cause: error });
  }
  if (error instanceof OpenAI.APIConnectionError) {
    return new AtlasError('unavailable', `${provider}: connection failed`, { provider, cause: error });
  }
  if (error instanceof OpenAI.APIError && error.status !== undefined) {
    return mapHttpError({
      provider,
      status: error.status,
      headers: error.headers,
      code: error.code ?? error.type,
      message: error.message,
      cause: error,
      contextLengthCodes: ['context_length_exceeded', 'string_above_max_length'],
      contentPolicyCodes: ['content_policy_violation', 'content_filter'],
    });
  }
  // A body that is not the JSON the SDK expects, or a stream that broke mid-way.
  const detail = error instanceof Error ? error.message : String(error);
  return new AtlasError('unavailable', `${provider}: unreadable response (${detail})`, {
    provider,
    cause: error,
  });
}
