import { AtlasError } from '../errors.js';
import type { ModelInfo } from './model-info.js';
import type { ProviderRequest } from './provider.js';

/** A rough token count (four characters a token): enough to catch prompts far over a window. */
export function estimatePromptTokens(request: ProviderRequest): number {
  const characters =
    (request.system?.length ?? 0) +
    request.messages.reduce((sum, message) => sum + message.content.length, 0);
  return Math.ceil(characters / 4);
}

/**
 * Fails with `context_length` before sending a prompt that cannot fit the model's window, for APIs that
 * truncate silently (Ollama) or answer with no code to tell this case apart (Anthropic).
 */
export function checkContextWindow(
  request: ProviderRequest,
  model: ModelInfo | undefined,
  provider: string,
): void {
  if (!model) return;
  const tokens = estimatePromptTokens(request);
  if (tokens > model.contextWindow) {
    throw new AtlasError(
      'context_length',
      `${provider}: the prompt is about ${tokens} tokens, over the ${model.contextWindow}-token window of ${model.id}`,
      { provider },
    );
  }
}
