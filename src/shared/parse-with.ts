import type * as z from 'zod';
import { ValidationError } from './errors.js';

/**
 * Parses `input` with `schema`, or throws an error naming the first wrong field under `source` and
 * what was expected: `request.messages[0].role: Invalid input`.
 */
export function parseWith<Schema extends z.ZodType>(
  schema: Schema,
  input: unknown,
  source: string,
  ErrorClass: new (field: string, expected: string) => ValidationError = ValidationError,
): z.output<Schema> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw zodIssueError(result.error, source, ErrorClass);
}

export function zodIssueError(
  error: z.ZodError,
  source: string,
  ErrorClass: new (field: string, expected: string) => ValidationError = ValidationError,
): ValidationError {
  const issue = error.issues[0]!;
  const path = issue.path
    .map((part) => (typeof part === 'number' ? `[${part}]` : `.${String(part)}`))
    .join('');
  const extra = issue.code === 'unrecognized_keys' ? ` (${issue.keys.join(', ')})` : '';
  return new ErrorClass(`${source}${path}`, `${issue.message}${extra}`);
}
