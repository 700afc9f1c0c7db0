import { AtlasError } from '../errors.js';

/** Parses a tool call's JSON arguments; a model that sent broken JSON is a fault of the instance, not the caller. */
export function parseToolArguments(
  text: string,
  provider: string,
  toolName: string,
): Record<string, unknown> {
  if (text.trim() === '') return {};
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === 'object' && value !== null && !Array.isArray(value))
      return value as Record<string, unknown>;
  } catch {
    // handled below
  }
  throw new AtlasError(
    'unavailable',
    `${provider}: the arguments of tool call ${toolName} are not a JSON object`,
    { provider },
  );
}
