/**
 * Secret values known to this process: each provider instance's API key (read from the variable its
 * `apiKeyEnv` names) and the password of the Redis URL. Redaction of log fields by path catches the
 * usual places; `scrub` catches the rest, such as a key an upstream echoed in an error body. Every
 * AtlasError scrubs its message when it is built, and stored errors, job failures and CLI output are
 * scrubbed again where they are written.
 */
const secrets = new Set<string>();

/** Shorter values would scrub ordinary words; real keys and passwords worth guarding are longer. */
const minimumLength = 8;

export const redactedMark = '[redacted]';

export function registerSecret(value: string | undefined): void {
  if (!value || value.length < minimumLength) return;
  secrets.add(value);
  // The same value percent-encoded (in a URL, say) is the same secret.
  const encoded = encodeURIComponent(value);
  if (encoded !== value) secrets.add(encoded);
}

/** `text` with every registered secret replaced by `[redacted]`. */
export function scrub(text: string): string {
  let result = text;
  for (const secret of secrets) {
    if (result.includes(secret)) result = result.split(secret).join(redactedMark);
  }
  return result;
}

/** A JSON-safe value (an error, a list of attempts) with every string in it scrubbed. */
export function scrubValue<T>(value: T): T {
  if (secrets.size === 0 || value === undefined) return value;
  const json = JSON.stringify(value);
  const scrubbed = scrub(json);
  return scrubbed === json ? value : (JSON.parse(scrubbed) as T);
}

/**
 * Scrubs an Error's message and stack in place (its class is kept: BullMQ tells an UnrecoverableError
 * by it) before something stores it, such as BullMQ writing a job's `failedReason` and `stacktrace`.
 */
export function scrubError<T>(error: T): T {
  if (typeof error === 'string') return scrub(error) as T;
  if (!(error instanceof Error) || secrets.size === 0) return error;
  error.message = scrub(error.message);
  if (error.stack !== undefined) error.stack = scrub(error.stack);
  return error;
}

/** The password of a Redis URL (`redis://user:password@host`), when it has one. */
export function redisUrlPassword(url: string): string | undefined {
  try {
    const password = new URL(url).password;
    return password ? decodeURIComponent(password) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Registers the secrets settings point at: the API key of every instance (from `env` and from the
 * process's own environment, which providers read) and the Redis password.
 */
export function registerSettingsSecrets(
  settings: { redis: { url: string }; providers: Record<string, object> },
  env: Record<string, string | undefined> = process.env,
): void {
  registerSecret(redisUrlPassword(settings.redis.url));
  for (const instance of Object.values(settings.providers)) {
    const variable = 'apiKeyEnv' in instance ? instance.apiKeyEnv : undefined;
    if (typeof variable !== 'string' || !variable) continue;
    registerSecret(env[variable]);
    registerSecret(process.env[variable]);
  }
}
