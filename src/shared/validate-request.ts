import { ValidationError } from './errors.js';
import { type GenerationRequest, generationRequestSchema, type ParsedGenerationRequest } from './jobs.js';

/** Parses a request, or throws a ValidationError naming the first wrong field and what it expected. */
export function validateRequest(input: unknown): ParsedGenerationRequest {
  const result = generationRequestSchema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const path = issue.path
    .map((part, index) =>
      typeof part === 'number' ? `[${part}]` : `${index === 0 ? '' : '.'}${String(part)}`,
    )
    .join('');
  const extra = issue.code === 'unrecognized_keys' ? ` (${issue.keys.join(', ')})` : '';
  throw new ValidationError(path ? `request.${path}` : 'request', `${issue.message}${extra}`);
}

export type { GenerationRequest };
