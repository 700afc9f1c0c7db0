import { type Logger, pino } from 'pino';

export type { Logger } from 'pino';

/**
 * Secret values (API keys) known to this process. Redaction by field path catches the usual places
 * (`apiKey`, `authorization`); scrubbing every written line for the values themselves catches the rest,
 * such as a key echoed inside an SDK error message or a URL.
 */
const secrets = new Set<string>();

export function registerSecret(value: string | undefined): void {
  // Short values would scrub ordinary words; real keys are long.
  if (value && value.length >= 8) secrets.add(value);
}

export function scrubSecrets(text: string): string {
  let result = text;
  for (const secret of secrets) {
    if (result.includes(secret)) result = result.split(secret).join('[redacted]');
  }
  return result;
}

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
      hooks: { streamWrite: scrubSecrets },
    },
    options.destination ?? pino.destination(2),
  );
}
