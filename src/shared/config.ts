import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import * as z from 'zod';
import { ConfigError } from './errors.js';

/** Strategies that turn a request into an ordered routing plan. */
export const strategyNames = [
  'failover',
  'round_robin',
  'cost_optimized',
  'task_aware',
  'queue_aware',
] as const;
export type StrategyName = (typeof strategyNames)[number];

export const providerTypes = ['openai', 'anthropic', 'ollama', 'mock'] as const;
export type ProviderType = (typeof providerTypes)[number];

const instanceName = z
  .string()
  .regex(/^[A-Za-z0-9_-]+$/, 'expected letters, digits, "_" or "-" (it becomes part of a queue name)');

const breakerSchema = z
  .object({
    /** Failure percentage within the rolling window that opens the breaker. @default 50 */
    errorThresholdPercentage: z.number().min(1).max(100).default(50),
    /** Calls in the window before the percentage is considered. @default 5 */
    volumeThreshold: z.number().int().min(0).default(5),
    /** How long an open breaker waits before one probe. @default 10000 */
    resetTimeoutMs: z.number().int().positive().default(10_000),
    /**
     * Length of the rolling statistics window. Under steady traffic a breaker opens about half a window
     * after an instance starts failing (its failures must outnumber the window's successes).
     * @default 1000
     */
    rollingCountTimeoutMs: z.number().int().positive().default(1_000),
  })
  .prefault({});

const rateLimitSchema = z.object({
  /** Jobs per window, for this instance, across every worker. */
  max: z.number().int().positive(),
  durationMs: z.number().int().positive(),
});

const modelEntrySchema = z.object({
  id: z.string().min(1),
  /** Strength per capability, 1 (basic) … 4 (exceptional). */
  capabilities: z.record(z.string(), z.number().int().min(0).max(4)).default({}),
  inputPricePerMillion: z.number().min(0).default(0),
  outputPricePerMillion: z.number().min(0).default(0),
  contextWindow: z.number().int().positive().default(8_192),
  /** For embedding models: the vector size. */
  embeddingDimensions: z.number().int().positive().optional(),
});
export type ModelEntrySettings = z.infer<typeof modelEntrySchema>;

const commonInstance = {
  /** Model used when a request names none. */
  defaultModel: z.string().min(1).optional(),
  /** Per-call timeout handed to the SDK. @default 60000 */
  timeoutMs: z.number().int().positive().default(60_000),
  breaker: breakerSchema,
  rateLimit: rateLimitSchema.optional(),
  /** Extra or overriding catalogue entries for this instance's models. */
  models: z.array(modelEntrySchema).default([]),
};

const openaiInstance = z.object({
  type: z.literal('openai'),
  ...commonInstance,
  baseURL: z.url().optional(),
  /** Environment variable that holds the key; the key itself is never written in settings. @default OPENAI_API_KEY */
  apiKeyEnv: z.string().default('OPENAI_API_KEY'),
  organization: z.string().optional(),
});

const anthropicInstance = z.object({
  type: z.literal('anthropic'),
  ...commonInstance,
  baseURL: z.url().optional(),
  apiKeyEnv: z.string().default('ANTHROPIC_API_KEY'),
});

const ollamaInstance = z.object({
  type: z.literal('ollama'),
  ...commonInstance,
  /** Ollama server address. @default OLLAMA_HOST or http://127.0.0.1:11434 */
  host: z.url().optional(),
  /** For Ollama behind an authenticating proxy or ollama.com: the variable holding a bearer key. */
  apiKeyEnv: z.string().optional(),
});

const mockFailureSchema = z.object({
  kind: z.enum([
    'rate_limited',
    'unavailable',
    'timeout',
    'auth',
    'context_length',
    'content_policy',
    'invalid_request',
  ]),
  /** How many consecutive calls fail this way. @default 1 */
  times: z.number().int().positive().default(1),
  /** Calls that succeed before these failures start. @default 0 */
  afterCalls: z.number().int().min(0).default(0),
  /** For `rate_limited`: the Retry-After to report. */
  retryAfterMs: z.number().int().min(0).optional(),
});

const mockRuleSchema = z.object({
  /** Substring (or `/regex/flags`) matched against the last message's text. */
  match: z.string(),
  reply: z.string().optional(),
  toolCalls: z
    .array(z.object({ name: z.string(), arguments: z.record(z.string(), z.unknown()).default({}) }))
    .optional(),
});

const mockInstance = z.object({
  type: z.literal('mock'),
  ...commonInstance,
  /** Delay before a reply; streams spread it over their deltas. @default 0 */
  latencyMs: z.number().int().min(0).default(0),
  /** Share of calls, 0 … 1, that fail as `unavailable`, chosen by a seeded generator. @default 0 */
  failureRate: z.number().min(0).max(1).default(0),
  failures: z.array(mockFailureSchema).default([]),
  script: z.array(mockRuleSchema).default([]),
  /** Seed of the failure generator. @default 1 */
  seed: z.number().int().default(1),
  /** Size of the hashing embeddings. @default 1024 */
  embeddingDimensions: z.number().int().positive().default(1024),
});

export const providerInstanceSchema = z.discriminatedUnion('type', [
  openaiInstance,
  anthropicInstance,
  ollamaInstance,
  mockInstance,
]);
export type ProviderInstanceSettings = z.infer<typeof providerInstanceSchema>;
export type ProviderInstanceInput = z.input<typeof providerInstanceSchema>;
export type MockInstanceSettings = z.infer<typeof mockInstance>;
export type MockFailure = z.infer<typeof mockFailureSchema>;
export type MockRule = z.infer<typeof mockRuleSchema>;

const generationSchema = z
  .object({
    /** A 429 whose Retry-After is at most this waits on the same instance; longer ones fail over. @default 5000 */
    shortRateLimitWaitMs: z.number().int().min(0).default(5_000),
    /** Deadline of a request that gives none: past it the request fails rather than waits. @default 300000 */
    defaultDeadlineMs: z.number().int().positive().default(300_000),
    /** How long finished request records and event streams are kept. @default 86400000 */
    recordTtlMs: z.number().int().positive().default(86_400_000),
    /** BullMQ job lock; a worker silent for this long is presumed dead and its job retried. @default 30000 */
    lockDurationMs: z.number().int().positive().default(30_000),
    /** How often BullMQ looks for stalled jobs. @default 30000 */
    stalledIntervalMs: z.number().int().positive().default(30_000),
    /** How often a worker refreshes its heartbeat. @default 1000 */
    heartbeatIntervalMs: z.number().int().positive().default(1_000),
    /** A job waiting this long in a queue with no live worker moves to its next hop. @default 10000 */
    sweepAfterMs: z.number().int().positive().default(10_000),
    /** Stream deltas are written at most this often... @default 20 */
    deltaFlushMs: z.number().int().min(0).default(20),
    /** ...or once this many characters are waiting. @default 512 */
    deltaFlushChars: z.number().int().positive().default(512),
    /** How long a worker or producer trusts the fleet's breaker states before reading them again. @default 200 */
    healthCacheMs: z.number().int().min(0).default(200),
    /** Finished BullMQ jobs kept, by age in seconds and by count. */
    keepCompleted: z
      .object({ ageSeconds: z.number().int().positive(), count: z.number().int().positive() })
      .default({ ageSeconds: 3_600, count: 1_000 }),
    keepFailed: z
      .object({ ageSeconds: z.number().int().positive(), count: z.number().int().positive() })
      .default({ ageSeconds: 86_400, count: 5_000 }),
  })
  .strict()
  .prefault({});
export type GenerationSettings = z.infer<typeof generationSchema>;

const fileSchema = z
  .object({
    generation: generationSchema.optional(),
    redisUrl: z.string().optional(),
    prefix: z.string().optional(),
    providers: z.record(instanceName, providerInstanceSchema).optional(),
    strategy: z.enum(strategyNames).optional(),
    providerOrder: z.array(instanceName).optional(),
    qdrantUrl: z.url().optional(),
    /** Folder of the embedded vector store. @default .atlas/lancedb */
    knowledgeDirectory: z.string().min(1).optional(),
    /** Versions of each document the knowledge base keeps. @default 1 */
    keepVersions: z.number().int().positive().optional(),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional(),
    /** Log prompt and completion text as `[redacted]`. */
    redactPrompts: z.boolean().optional(),
    /** Let ingestion workers fetch URLs on private, loopback or link-local addresses. @default false */
    allowPrivateUrls: z.boolean().optional(),
  })
  .strict();
export type FileSettings = z.input<typeof fileSchema>;

export interface Settings {
  redisUrl: string;
  /** Key prefix of every Redis key and the BullMQ prefix. @default atlas */
  prefix: string;
  providers: Record<string, ProviderInstanceSettings>;
  /** Instances a request gets when it names none, in order. */
  providerOrder: string[];
  strategy: StrategyName;
  qdrantUrl: string | undefined;
  /** Folder of the embedded vector store, used when no Qdrant URL is set. */
  knowledgeDirectory: string;
  keepVersions: number;
  logLevel: string;
  redactPrompts: boolean;
  allowPrivateUrls: boolean;
  generation: GenerationSettings;
}

export type Environment = Record<string, string | undefined>;

export interface LoadSettingsOptions {
  env?: Environment;
  /** Path of atlas.config.json. @default ATLAS_CONFIG, else ./atlas.config.json when it exists */
  configPath?: string;
  /** Settings given in code; they win over the file and the environment. */
  overrides?: FileSettings;
}

/** Reads settings once: code overrides, then atlas.config.json, then environment variables, then defaults. */
export function loadSettings(options: LoadSettingsOptions = {}): Settings {
  const env = options.env ?? process.env;
  const configPath = options.configPath ?? (env['ATLAS_CONFIG'] || undefined);
  const file = readConfigFile(configPath, configPath !== undefined);
  const overrides = options.overrides ? parseSection(options.overrides, 'settings') : {};
  const merged = { ...file, ...overrides, providers: { ...file.providers, ...overrides.providers } };

  const providers = Object.keys(merged.providers).length > 0 ? merged.providers : builtInInstances(env);
  const providerOrder =
    merged.providerOrder ?? listFromEnv(env, 'ATLAS_PROVIDERS') ?? defaultOrder(Object.keys(providers));
  for (const [index, name] of providerOrder.entries()) {
    if (!(name in providers)) {
      const source = merged.providerOrder ? `providerOrder[${index}]` : 'ATLAS_PROVIDERS';
      throw new ConfigError(
        source,
        `unknown provider instance '${name}'; configured: ${Object.keys(providers).join(', ')}`,
      );
    }
  }

  return {
    redisUrl: merged.redisUrl ?? env['REDIS_URL'] ?? 'redis://127.0.0.1:6379',
    prefix: validPrefix(merged.prefix ?? env['ATLAS_PREFIX'] ?? 'atlas'),
    providers,
    providerOrder,
    strategy: merged.strategy ?? enumFromEnv(env, 'ATLAS_PROVIDER_STRATEGY', strategyNames) ?? 'failover',
    qdrantUrl: merged.qdrantUrl ?? urlFromEnv(env, 'QDRANT_URL'),
    knowledgeDirectory: merged.knowledgeDirectory ?? env['ATLAS_KNOWLEDGE_DIR'] ?? '.atlas/lancedb',
    keepVersions: merged.keepVersions ?? positiveFromEnv(env, 'ATLAS_KEEP_VERSIONS') ?? 1,
    logLevel:
      merged.logLevel ??
      enumFromEnv(env, 'ATLAS_LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']) ??
      'info',
    redactPrompts: merged.redactPrompts ?? env['ATLAS_REDACT_PROMPTS'] === '1',
    allowPrivateUrls: merged.allowPrivateUrls ?? env['ATLAS_ALLOW_PRIVATE_URLS'] === '1',
    generation: merged.generation ?? generationSchema.parse({}),
  };
}

function positiveFromEnv(env: Environment, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1)
    throw new ConfigError(name, `expected a whole number of at least 1, got '${raw}'`);
  return value;
}

/** The instances that exist with no settings file, configured from their usual environment variables. */
function builtInInstances(env: Environment): Record<string, ProviderInstanceSettings> {
  return {
    openai: parseInstance({ type: 'openai', baseURL: urlFromEnv(env, 'OPENAI_BASE_URL') }, 'openai'),
    anthropic: parseInstance(
      { type: 'anthropic', baseURL: urlFromEnv(env, 'ANTHROPIC_BASE_URL') },
      'anthropic',
    ),
    ollama: parseInstance({ type: 'ollama', host: ollamaHostFromEnv(env) }, 'ollama'),
    mock: parseInstance({ type: 'mock' }, 'mock'),
  };
}

export function parseInstance(input: unknown, name: string): ProviderInstanceSettings {
  const result = providerInstanceSchema.safeParse(input);
  if (!result.success) throw configErrorFrom(result.error, `providers.${name}`);
  return result.data;
}

function defaultOrder(names: string[]): string[] {
  const rank = (name: string) => {
    const index = ['openai', 'anthropic', 'ollama', 'mock'].indexOf(name);
    return index === -1 ? 99 : index;
  };
  return [...names].sort((a, b) => rank(a) - rank(b));
}

function readConfigFile(path: string | undefined, required: boolean): z.infer<typeof fileSchema> {
  const filePath = resolve(path ?? 'atlas.config.json');
  let text: string;
  try {
    text = readFileSync(filePath, 'utf8');
  } catch (error) {
    if (!required && (error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new ConfigError(
      'ATLAS_CONFIG',
      `cannot read settings file ${filePath}: ${(error as Error).message}`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(stripJsonComments(text));
  } catch (error) {
    throw new ConfigError(filePath, `expected JSON: ${(error as Error).message}`);
  }
  return parseSection(json, filePath);
}

function parseSection(input: unknown, source: string): z.infer<typeof fileSchema> {
  const result = fileSchema.safeParse(input);
  if (!result.success) throw configErrorFrom(result.error, source);
  return result.data;
}

function configErrorFrom(error: z.ZodError, source: string): ConfigError {
  const issue = error.issues[0]!;
  const path = issue.path.length > 0 ? `.${issue.path.map(String).join('.')}` : '';
  const unknownKeys = issue.code === 'unrecognized_keys' ? ` (${issue.keys.join(', ')})` : '';
  return new ConfigError(`${source}${path}`, `${issue.message}${unknownKeys}`);
}

/** `//` line comments are allowed in atlas.config.json, as in the documented example. */
function stripJsonComments(text: string): string {
  return text.replace(
    /("(?:\\.|[^"\\])*")|\/\/[^\n]*/g,
    (_match, quoted: string | undefined) => quoted ?? '',
  );
}

function validPrefix(prefix: string): string {
  if (!/^[A-Za-z0-9_{}.-]+$/.test(prefix)) {
    throw new ConfigError(
      'ATLAS_PREFIX',
      `expected letters, digits, '_', '-', '.', or a {hash tag}, got '${prefix}'`,
    );
  }
  return prefix;
}

/** A list from the environment, separated by commas or spaces. */
export function listFromEnv(env: Environment, name: string): string[] | undefined {
  const value = env[name]?.trim();
  if (!value) return undefined;
  return value.split(/[\s,]+/).filter(Boolean);
}

function enumFromEnv<T extends string>(env: Environment, name: string, allowed: readonly T[]): T | undefined {
  const value = env[name]?.trim();
  if (!value) return undefined;
  if (!(allowed as readonly string[]).includes(value)) {
    throw new ConfigError(name, `expected one of ${allowed.join(', ')}, got '${value}'`);
  }
  return value as T;
}

function urlFromEnv(env: Environment, name: string): string | undefined {
  const value = env[name]?.trim();
  if (!value) return undefined;
  if (!URL.canParse(value))
    throw new ConfigError(name, `expected a URL such as http://127.0.0.1:6333, got '${value}'`);
  return value;
}

/** OLLAMA_HOST is often given without a scheme (`127.0.0.1:11434`), as Ollama itself accepts. */
function ollamaHostFromEnv(env: Environment): string | undefined {
  const value = env['OLLAMA_HOST']?.trim();
  if (!value) return undefined;
  return urlFromEnv({ OLLAMA_HOST: /^https?:\/\//.test(value) ? value : `http://${value}` }, 'OLLAMA_HOST');
}

export type OpenAIInstanceSettings = Extract<ProviderInstanceSettings, { type: 'openai' }>;
export type AnthropicInstanceSettings = Extract<ProviderInstanceSettings, { type: 'anthropic' }>;
export type OllamaInstanceSettings = Extract<ProviderInstanceSettings, { type: 'ollama' }>;
