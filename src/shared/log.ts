import { type Logger, pino } from 'pino';

export type { Logger } from 'pino';

import { scrub } from './secrets.js';

// Redaction by field path catches the usual places (`apiKey`, `authorization`); scrubbing every written
// line for the registered secret values themselves catches the rest (see secrets.ts).
export { registerSecret, scrub as scrubSecrets } from './secrets.js';

const redactedPaths = [
  'apiKey',
  '*.apiKey',
  'headers.authorization',
  'headers["x-api-key"]',
  '*.headers.authorization',
  '*.headers["x-api-key"]',
  'authorization',
  '*.authorization',
];
const promptPaths = ['messages', '*.messages', 'prompt', '*.prompt', 'text', '*.text', 'system', '*.system'];

export interface LoggerOptions {
  level?: string;
  /** Also redact prompts and completions. @default false */
  redactPrompts?: boolean;
  /** Where lines go. @default standard error */
  destination?: pino.DestinationStream;
  name?: string;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      name: options.name ?? 'atlas',
      level: options.level ?? 'info',
      redact: {
        paths: options.redactPrompts ? [...redactedPaths, ...promptPaths] : redactedPaths,
        censor: '[redacted]',
      },
      hooks: { streamWrite: scrub },
    },
    options.destination ?? pino.destination(2),
  );
}
