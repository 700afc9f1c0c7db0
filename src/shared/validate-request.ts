import { type GenerationRequest, generationRequestSchema, type ParsedGenerationRequest } from './jobs.js';
import { parseWith } from './parse-with.js';

/** Parses a request, or throws a ValidationError naming the first wrong field and what it expected. */
export function validateRequest(input: unknown): ParsedGenerationRequest {
  return parseWith(generationRequestSchema, input, 'request');
}

export type { GenerationRequest };
