import { ValidationError } from './errors.js';
import { type GenerationRequest, generationRequestSchema, type ParsedGenerationRequest } from './jobs.js';
import { parseWith } from './parse-with.js';

export interface RequestLimits {
  /** The most characters the prompt, system prompt and messages may hold together. */
  maxPromptChars?: number;
}

/**
 * Parses a request, or throws a ValidationError naming the first wrong field and what it expected;
 * a prompt longer than `limits.maxPromptChars` is refused here, before anything is stored.
 */
export function validateRequest(input: unknown, limits: RequestLimits = {}): ParsedGenerationRequest {
  const request = parseWith(generationRequestSchema, input, 'request');
  if (limits.maxPromptChars !== undefined) {
    const size =
      (request.prompt?.length ?? 0) +
      (request.system?.length ?? 0) +
      (request.messages ?? []).reduce((sum, message) => sum + message.content.length, 0);
    if (size > limits.maxPromptChars)
      throw new ValidationError(
        request.messages ? 'request.messages' : 'request.prompt',
        `expected at most ${limits.maxPromptChars} characters of prompt (generation.maxPromptChars), got ${size}`,
      );
  }
  return request;
}

export type { GenerationRequest };
