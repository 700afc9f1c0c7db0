import { ConfigError } from '../errors.js';

export type Environment = Record<string, string | undefined>;

type Kind =
  | { kind: 'text' }
  | { kind: 'url' }
  | { kind: 'list' }
  | { kind: 'flag' }
  | { kind: 'positive' }
  | { kind: 'count' }
  | { kind: 'port' }
  | { kind: 'choice'; allowed: readonly string[] };

interface Variable {
  name: string;
  /** Where the value goes in the settings. */
  path: readonly string[];
  type: Kind;
}

/**
 * Every environment variable Atlas reads for its settings (the built-in provider instances also read
 * OPENAI_BASE_URL, ANTHROPIC_BASE_URL and OLLAMA_HOST, and each instance its `apiKeyEnv`).
 */
export const environmentVariables: readonly Variable[] = [
  { name: 'REDIS_URL', path: ['redis', 'url'], type: { kind: 'text' } },
  { name: 'ATLAS_PREFIX', path: ['redis', 'prefix'], type: { kind: 'text' } },
  { name: 'ATLAS_REDIS_CLUSTER', path: ['redis', 'cluster'], type: { kind: 'list' } },
  { name: 'ATLAS_PROVIDERS', path: ['providerOrder'], type: { kind: 'list' } },
  {
    name: 'ATLAS_PROVIDER_STRATEGY',
    path: ['strategy'],
    type: {
      kind: 'choice',
      allowed: ['failover', 'round_robin', 'cost_optimized', 'task_aware', 'queue_aware'],
    },
  },
  { name: 'QDRANT_URL', path: ['ingestion', 'qdrantUrl'], type: { kind: 'url' } },
  { name: 'ATLAS_KNOWLEDGE_DIR', path: ['ingestion', 'knowledgeDirectory'], type: { kind: 'text' } },
  { name: 'ATLAS_KEEP_VERSIONS', path: ['ingestion', 'keepVersions'], type: { kind: 'positive' } },
  {
    name: 'ATLAS_VECTOR_INDEX_MIN_CHUNKS',
    path: ['ingestion', 'vectorIndexMinChunks'],
    type: { kind: 'count' },
  },
  { name: 'ATLAS_ALLOW_PRIVATE_URLS', path: ['ingestion', 'allowPrivateUrls'], type: { kind: 'flag' } },
  { name: 'ATLAS_AGENT_MODULES', path: ['agents', 'modules'], type: { kind: 'list' } },
  {
    name: 'ATLAS_AGENT_KNOWLEDGE_COLLECTION',
    path: ['agents', 'knowledgeCollection'],
    type: { kind: 'text' },
  },
  {
    name: 'ATLAS_LOG_LEVEL',
    path: ['log', 'level'],
    type: { kind: 'choice', allowed: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] },
  },
  { name: 'ATLAS_REDACT_PROMPTS', path: ['log', 'redactPrompts'], type: { kind: 'flag' } },
  { name: 'ATLAS_SERVER_HOST', path: ['server', 'host'], type: { kind: 'text' } },
  { name: 'ATLAS_SERVER_PORT', path: ['server', 'port'], type: { kind: 'port' } },
  { name: 'ATLAS_SERVER_TOKENS', path: ['server', 'tokens'], type: { kind: 'list' } },
];

/**
 * The settings the environment gives, shaped as atlas.config.json is, and which variable set each path
 * (so an error later found there can name the variable).
 */
export function environmentInput(env: Environment): {
  input: Record<string, unknown>;
  sources: Map<string, string>;
} {
  const input: Record<string, unknown> = {};
  const sources = new Map<string, string>();
  for (const variable of environmentVariables) {
    const raw = env[variable.name]?.trim();
    if (!raw) continue;
    let at = input;
    for (const key of variable.path.slice(0, -1)) {
      at[key] ??= {};
      at = at[key] as Record<string, unknown>;
    }
    at[variable.path.at(-1)!] = convert(variable.name, raw, variable.type);
    sources.set(variable.path.join('.'), variable.name);
  }
  return { input, sources };
}

function convert(name: string, raw: string, type: Kind): unknown {
  switch (type.kind) {
    case 'text':
      return raw;
    case 'url':
      // Servers are reached over http(s) only: a `file:` URL would have a client library read files.
      if (!URL.canParse(raw) || !/^https?:$/.test(new URL(raw).protocol))
        throw new ConfigError(
          name,
          `expected an http:// or https:// URL such as http://127.0.0.1:6333, got '${raw}'`,
        );
      return raw;
    case 'list':
      return listFromEnvironment(raw);
    case 'flag':
      if (raw !== '1' && raw !== '0' && raw !== 'true' && raw !== 'false')
        throw new ConfigError(name, `expected 1 or 0, got '${raw}'`);
      return raw === '1' || raw === 'true';
    case 'positive': {
      const value = Number(raw);
      if (!Number.isInteger(value) || value < 1)
        throw new ConfigError(name, `expected a whole number of at least 1, got '${raw}'`);
      return value;
    }
    case 'count': {
      const value = Number(raw);
      if (!Number.isInteger(value) || value < 0)
        throw new ConfigError(name, `expected a whole number of at least 0, got '${raw}'`);
      return value;
    }
    case 'port': {
      const value = Number(raw);
      if (!Number.isInteger(value) || value < 0 || value > 65_535)
        throw new ConfigError(name, `expected a port number from 0 to 65535, got '${raw}'`);
      return value;
    }
    case 'choice':
      if (!type.allowed.includes(raw))
        throw new ConfigError(name, `expected one of ${type.allowed.join(', ')}, got '${raw}'`);
      return raw;
  }
}

/** A list given as one string, separated by commas or spaces. */
export function listFromEnvironment(value: string): string[] {
  return value.split(/[\s,]+/).filter(Boolean);
}

export function urlFromEnvironment(env: Environment, name: string): string | undefined {
  const value = env[name]?.trim();
  if (!value) return undefined;
  return convert(name, value, { kind: 'url' }) as string;
}
