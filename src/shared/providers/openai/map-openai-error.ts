import { AtlasError } from '../../errors.js';
import { scrub } from '../../secrets.js';
import { cancelledError } from '../abort.js';
import { mapHttpError } from '../map-http-error.js';
import { openAISdkLoaded } from './load-openai-sdk.js';

/** Error codes OpenAI (and compatible servers) send when the prompt does not fit the model's window. */
const contextLengthCodes = ['context_length_exceeded', 'string_above_max_length'];
/** `content_filter` is what Azure OpenAI sends for a prompt its filter blocked. */
const contentPolicyCodes = ['content_policy_violation', 'content_filter'];

/**
 * Maps anything the OpenAI SDK throws to an AtlasError of the right kind. Call `CallDeadline.failure`
 * first: only it knows whether an abort came from the caller or from the clock.
 */
export function mapOpenAIError(error: unknown, provider: string): AtlasError {
  if (error instanceof AtlasError) return error;
  const OpenAI = openAISdkLoaded();
  if (!OpenAI) return unreadable(error, provider);
  if (error instanceof OpenAI.APIUserAbortError) return cancelledError(provider, error);
  if (error instanceof OpenAI.APIConnectionTimeoutError) {
    return new AtlasError('timeout', `${provider}: no answer within the timeout`, { provider, cause: error });
  }
  if (error instanceof OpenAI.APIConnectionError) {
    return new AtlasError('unavailable', `${provider}: connection failed`, { provider, cause: error });
  }
  if (error instanceof OpenAI.APIError) {
    // No status: an `error` event inside a stream that had already answered 200. Its code still counts.
    return mapHttpError({
      provider,
      status: error.status,
      headers: error.headers,
      code: error.code ?? error.type,
      // Compatible servers may echo the key they were given; the official API masks it, others may not.
      message: scrub(error.message),
      cause: error,
      contextLengthCodes,
      contentPolicyCodes,
    });
  }
  return unreadable(error, provider);
}

/** A body that is not the JSON the SDK expects, or a stream that broke mid-way. */
function unreadable(error: unknown, provider: string): AtlasError {
  const detail = error instanceof Error ? error.message : String(error);
  return new AtlasError('unavailable', `${provider}: unreadable response (${scrub(detail)})`, {
    provider,
    cause: error,
  });
}
