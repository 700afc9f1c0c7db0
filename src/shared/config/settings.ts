import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import * as z from 'zod';
import { ConfigError } from '../errors.js';
import { collectionNameSchema } from '../knowledge/collection-name.js';
import { zodIssueError } from '../parse-with.js';
import { registerSettingsSecrets } from '../secrets.js';
import { builtInInstances, defaultOrder } from './built-in-instances.js';
import { type Environment, environmentInput } from './environment.js';
import { httpUrl } from './instance-fields.js';
import { instanceName, providerInstanceSchema } from './provider-settings.js';
import { strategyNames } from './strategy-names.js';
import { timerMs } from './timer.js';

export { type StrategyName, strategyNames } from './strategy-names.js';

export const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const keepSchema = z.object({ ageSeconds: z.number().int().positive(), count: z.number().int().positive() });

const redisSchema = z
  .object({
    /** Redis to use. Environment: REDIS_URL. @default redis://127.0.0.1:6379 */
    url: z.string().min(1).default('redis://127.0.0.1:6379'),
    /**
     * Prefix of every Redis key and the BullMQ prefix. A `{hash tag}` keeps a deployment in one Cluster slot.
     * Environment: ATLAS_PREFIX. @default atlas
     */
    prefix: z
      .string()
      .regex(/^[A-Za-z0-9_{}.-]+$/, "expected letters, digits, '_', '-', '.', or a {hash tag}")
      .default('atlas'),
    /**
     * Node URLs of a Redis Cluster (any reachable ones; the client finds the rest). When given, Atlas
     * connects to the Cluster instead of `url`, and the prefix must carry a `{hash tag}`.
     * Environment: ATLAS_REDIS_CLUSTER (commas or spaces).
     */
    cluster: z
      .array(
        z.string().refine((value) => /^rediss?:\/\/[^/]/.test(value) && URL.canParse(value), {
          message: 'expected a node URL such as redis://10.0.0.1:6379',
        }),
      )
      .min(1)
      .optional(),
  })
  .strict()
  .superRefine((redis, context) => {
    if (redis.cluster && !hasHashTag(redis.prefix)) {
      context.addIssue({
        code: 'custom',
        path: ['prefix'],
        message: `on Redis Cluster the prefix needs a {hash tag} (such as '{${redis.prefix.replace(/[{}]/g, '') || 'atlas'}}') so every key of a queue lands in one slot`,
      });
    }
  })
  .prefault({});

/**
 * True when Redis Cluster would hash keys starting with `prefix` by a tag: the text between the first
 * `{` and the first `}` after it, when not empty.
 */
export function hasHashTag(prefix: string): boolean {
  const open = prefix.indexOf('{');
  if (open === -1) return false;
  const close = prefix.indexOf('}', open + 1);
  return close > open + 1;
}

const generationSchema = z
  .object({
    /** A 429 whose Retry-After is at most this waits on the same instance; longer ones fail over. @default 5000 */
    shortRateLimitWaitMs: timerMs().default(5_000),
    /** Deadline of a request that gives none: past it the request fails rather than waits. @default 300000 */
    defaultDeadlineMs: timerMs({ positive: true }).default(300_000),
    /** How long finished request records and event streams are kept. @default 86400000 */
    recordTtlMs: timerMs({ positive: true }).default(86_400_000),
    /** A job waiting this long in a queue with no live worker moves to its next hop. @default 10000 */
    sweepAfterMs: timerMs({ positive: true }).default(10_000),
    /**
     * A request accepted this long ago whose first attempt has not started and whose job does not exist
     * (its producer died between the two) is enqueued by the sweeper, or failed past its deadline. @default 5000
     */
    acceptRepairMs: timerMs({ positive: true }).default(5_000),
    /** Stream deltas are written at most this often... @default 20 */
    deltaFlushMs: timerMs().default(20),
    /** ...or once this many characters are waiting. @default 512 */
    deltaFlushChars: z.number().int().positive().default(512),
    /** How long a worker or producer trusts the fleet's breaker states before reading them again. @default 200 */
    healthCacheMs: timerMs().default(200),
    /** The most characters a request's prompt, system prompt and messages may hold together. @default 1000000 */
    maxPromptChars: z.number().int().positive().default(1_000_000),
  })
  .strict()
  .prefault({});

const workersSchema = z
  .object({
    /** BullMQ job lock; a worker silent for this long is presumed dead and its job retried. @default 30000 */
    lockDurationMs: timerMs({ positive: true }).default(30_000),
    /** How often BullMQ looks for stalled jobs. @default 30000 */
    stalledIntervalMs: timerMs({ positive: true }).default(30_000),
    /** How often a worker refreshes its heartbeat. @default 1000 */
    heartbeatIntervalMs: timerMs({ positive: true }).default(1_000),
    /**
     * How often each worker proves it consumes: a BullMQ worker with jobs waiting in its queue, a free
     * slot, no rate limit, and no job taken for this long (say, after a Redis restart it never recovered
     * from) is replaced by a new one. @default 5000
     */
    livenessCheckMs: timerMs({ positive: true }).default(5_000),
    /** On SIGTERM, how long running jobs may take to finish before the process exits anyway. @default 10000 */
    shutdownGraceMs: timerMs().default(10_000),
    /** Finished BullMQ jobs kept, of every queue, by age in seconds and by count. */
    keepCompleted: keepSchema.default({ ageSeconds: 3_600, count: 1_000 }),
    keepFailed: keepSchema.default({ ageSeconds: 86_400, count: 5_000 }),
  })
  .strict()
  .prefault({});

/** See `ingestion.vectorIndexMinChunks`. */
export const defaultVectorIndexMinChunks = 5_000;

const ingestionSchema = z
  .object({
    /** Qdrant to store knowledge in; without it the embedded store is used. Environment: QDRANT_URL. */
    qdrantUrl: httpUrl().optional(),
    /** Folder of the embedded vector store. Environment: ATLAS_KNOWLEDGE_DIR. @default .atlas/lancedb */
    knowledgeDirectory: z.string().min(1).default('.atlas/lancedb'),
    /** Versions of each document the knowledge base keeps. Environment: ATLAS_KEEP_VERSIONS. @default 1 */
    keepVersions: z.number().int().positive().default(1),
    /**
     * Chunks a collection of the embedded store holds before compacting it builds a vector index
     * (approximate search, a few milliseconds instead of a scan of every vector); 0 never builds one.
     * Environment: ATLAS_VECTOR_INDEX_MIN_CHUNKS. @default 5000
     */
    vectorIndexMinChunks: z.number().int().min(0).default(defaultVectorIndexMinChunks),
    /**
     * Let ingestion workers fetch URLs on private, loopback or link-local addresses.
     * Environment: ATLAS_ALLOW_PRIVATE_URLS=1. @default false
     */
    allowPrivateUrls: z.boolean().default(false),
  })
  .strict()
  .prefault({});

const agentsSchema = z
  .object({
    /**
     * Modules whose `workflows` and `tools` (named exports, or the default export's) agent workers
     * serve besides the built-in ones. Environment: ATLAS_AGENT_MODULES. @default []
     */
    modules: z.array(z.string().min(1)).default([]),
    /** How long a finished run's keys are kept (an unfinished run's: this long after its deadline). @default 86400000 */
    recordTtlMs: timerMs({ positive: true }).default(86_400_000),
    /** Deadline of a run that gives none. @default 86400000 */
    defaultDeadlineMs: timerMs({ positive: true }).default(86_400_000),
    /** Checkpoints one run may commit before it is stopped as runaway. @default 1000 */
    maxStepsPerRun: z.number().int().positive().default(1_000),
    /** A run of a workflow version this worker lacks is put back this many times, for a worker that has it… @default 10 */
    unknownVersionRetries: z.number().int().min(0).default(10),
    /** …this long apart, then fails naming `name@version`. @default 3000 */
    unknownVersionDelayMs: timerMs({ positive: true }).default(3_000),
    /**
     * The collection the `knowledge_search` tool searches when the model names none; without it the
     * tool's `collection` argument is required. Environment: ATLAS_AGENT_KNOWLEDGE_COLLECTION.
     */
    knowledgeCollection: collectionNameSchema.optional(),
    /** Agent-step jobs processed at once per worker. @default 20 */
    concurrency: z.number().int().positive().default(20),
  })
  .strict()
  .prefault({});

const logSchema = z
  .object({
    /** Environment: ATLAS_LOG_LEVEL. @default info */
    level: z.enum(logLevels).default('info'),
    /** Log prompt and completion text as `[redacted]`. Environment: ATLAS_REDACT_PROMPTS=1. @default false */
    redactPrompts: z.boolean().default(false),
  })
  .strict()
  .prefault({});

const serverSchema = z
  .object({
    /** Address `atlas serve` listens on. Environment: ATLAS_SERVER_HOST. @default 127.0.0.1 */
    host: z.string().min(1).default('127.0.0.1'),
    /** Port `atlas serve` listens on (0: any free port). Environment: ATLAS_SERVER_PORT. @default 8080 */
    port: z.number().int().min(0).max(65_535).default(8_080),
    /**
     * Bearer tokens the HTTP API accepts. With none, the server listens on loopback only.
     * Environment: ATLAS_SERVER_TOKENS (commas or spaces). @default []
     */
    tokens: z.array(z.string().min(1)).default([]),
    /** Largest request body accepted; larger ones get 413. @default 1048576 */
    bodyLimitBytes: z.number().int().positive().default(1_048_576),
    /**
     * Folders the file sources of `POST /v1/knowledge/batches` must stay inside (a request cannot change
     * them); `[]` allows no file, URLs only. @default the server's working folder
     */
    ingestRoots: z.array(z.string().min(1)).optional(),
  })
  .strict()
  .prefault({});

/** Every setting, by owner. atlas.config.json has this shape; every field is optional. */
export const settingsSchema = z
  .object({
    redis: redisSchema,
    /** Provider instances by name. @default openai, anthropic, ollama and mock, from their usual environment variables */
    providers: z.record(instanceName, providerInstanceSchema).default({}),
    /** Instances a request gets when it names none, in order. Environment: ATLAS_PROVIDERS. */
    providerOrder: z.array(instanceName).optional(),
    /** Environment: ATLAS_PROVIDER_STRATEGY. @default failover */
    strategy: z.enum(strategyNames).default('failover'),
    generation: generationSchema,
    workers: workersSchema,
    ingestion: ingestionSchema,
    agents: agentsSchema,
    log: logSchema,
    server: serverSchema,
  })
  .strict();

export type FileSettings = z.input<typeof settingsSchema>;
export type Settings = Omit<z.output<typeof settingsSchema>, 'providerOrder'> & { providerOrder: string[] };
export type RedisSettings = Settings['redis'];
export type GenerationSettings = Settings['generation'];
export type WorkerSettings = Settings['workers'];
export type IngestionSettings = Settings['ingestion'];
export type AgentSettings = Settings['agents'];
export type ServerSettings = Settings['server'];

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
  const { input: fromEnv, sources } = environmentInput(env);
  const overrides = (options.overrides ?? {}) as Record<string, unknown>;
  const merged = mergeSections(mergeSections(fromEnv, file), overrides);
  const providersGiven =
    Object.keys((file['providers'] as object | undefined) ?? {}).length > 0 ||
    Object.keys((overrides['providers'] as object | undefined) ?? {}).length > 0;
  merged['providers'] = {
    ...(file['providers'] as object | undefined),
    ...(overrides['providers'] as object | undefined),
  };
  if (!providersGiven) merged['providers'] = builtInInstances(env);

  const result = settingsSchema.safeParse(merged);
  if (!result.success) {
    const path = result.error.issues[0]!.path.map(String).join('.');
    // A list's item (`redis.cluster.0`) came from the variable that set the list.
    const fromEnvironment = sources.get(path) ?? sources.get(path.replace(/\.\d+$/, ''));
    const inOverrides = path
      .split('.')
      .reduce<unknown>((at, key) => (at as Record<string, unknown> | undefined)?.[key], overrides);
    const source =
      fromEnvironment && inOverrides === undefined && !inFile(file, path)
        ? fromEnvironment
        : configPath
          ? resolve(configPath)
          : 'settings';
    if (source === fromEnvironment) {
      throw new ConfigError(source, `${result.error.issues[0]!.message}, got '${env[source]?.trim()}'`);
    }
    throw zodIssueError(result.error, source, ConfigError);
  }
  const parsed = result.data;
  const providers = parsed.providers;
  const providerOrder = parsed.providerOrder ?? defaultOrder(Object.keys(providers));
  for (const [index, name] of providerOrder.entries()) {
    if (!(name in providers)) {
      const source =
        sources.get('providerOrder') && !inFile(file, 'providerOrder') && !overrides['providerOrder']
          ? 'ATLAS_PROVIDERS'
          : configPath && inFile(file, 'providerOrder') && !overrides['providerOrder']
            ? `${resolve(configPath)}.providerOrder[${index}]`
            : `providerOrder[${index}]`;
      throw new ConfigError(
        source,
        `unknown provider instance '${name}'; configured: ${Object.keys(providers).join(', ')}`,
      );
    }
  }
  // Every process loads its settings here: from now on its errors and output never show these values.
  registerSettingsSecrets(parsed, env);
  return { ...parsed, providerOrder };
}

function inFile(file: Record<string, unknown>, path: string): boolean {
  return (
    path.split('.').reduce<unknown>((at, key) => (at as Record<string, unknown> | undefined)?.[key], file) !==
    undefined
  );
}

/** Later sections win field by field; providers are merged by the caller. */
function mergeSections(
  base: Record<string, unknown>,
  later: Record<string, unknown>,
): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(later)) {
    const earlier = merged[key];
    merged[key] =
      isPlainObject(earlier) && isPlainObject(value) && key !== 'providers'
        ? { ...earlier, ...value }
        : value;
  }
  return merged;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function readConfigFile(path: string | undefined, required: boolean): Record<string, unknown> {
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
  // Checked whole here so an error names the file; defaults are applied once, after merging.
  const checked = settingsSchema.safeParse(json);
  if (!checked.success) throw zodIssueError(checked.error, filePath, ConfigError);
  return json as Record<string, unknown>;
}

/** `//` line comments are allowed in atlas.config.json, as in the documented example. */
function stripJsonComments(text: string): string {
  return text.replace(
    /("(?:\\.|[^"\\])*")|\/\/[^\n]*/g,
    (_match, quoted: string | undefined) => quoted ?? '',
  );
}
