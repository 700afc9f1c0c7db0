import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSettings } from '../../src/shared/config/settings.js';
import { ConfigError, ValidationError } from '../../src/shared/errors.js';
import { LanceDbStore } from '../../src/shared/knowledge/lancedb/lancedb-store.js';
import { validateWhere, validateWhereDocument } from '../../src/shared/knowledge/where-filter.js';
import { hashingEmbedding } from '../../src/shared/providers/mock/hashing-embedder.js';
import { createHarness, type Harness, mockInstances } from '../support/generation-harness.js';

// Every public entry fed arbitrary input: each ends in success or in a clear error that names what is
// wrong (a ValidationError or ConfigError with a field); never another exception, a hang, or something
// half-written. At most 100 runs a property here; `FUZZ_RUNS` (npm run fuzz) sets the long form's.

const longRuns = Number(process.env['FUZZ_RUNS'] ?? 0);
/** Runs of a property: its short-form count, or FUZZ_RUNS for the long form. */
const runs = (short: number) => (longRuns > 0 ? longRuns : Math.min(short, 100));
/** A test's timeout, grown with the long form's runs. */
const budget = (shortMs: number, short: number) => Math.max(shortMs, (shortMs * runs(short)) / short);

/** The error must name what is wrong: a ValidationError (ConfigError is one) with a field. */
function expectNamedError(error: unknown, context: string): asserts error is ValidationError {
  if (!(error instanceof ValidationError))
    throw new Error(
      `${context}: expected a ValidationError, got ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`,
    );
  expect(error.field, context).toMatch(/\S/);
  expect(error.message, context).toMatch(/\S/);
}

/** Settles a promise within `ms`, or fails as a hang. */
async function settle<T>(
  promise: Promise<T>,
  ms: number,
  what: string,
): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  try {
    return { ok: true, value: await Promise.race([promise, hang]) };
  } catch (error) {
    if (error instanceof Error && error.message.startsWith(`${what}: no answer`)) throw error;
    return { ok: false, error };
  } finally {
    clearTimeout(timer);
  }
}

const junk = fc.oneof(
  fc.constant(undefined),
  fc.constant(null),
  fc.constant(''),
  fc.constant('__proto__'),
  fc.constant('constructor'),
  fc.constant('toString'),
  fc.constant(Number.NaN),
  fc.constant(Number.POSITIVE_INFINITY),
  fc.constant(1e20),
  fc.constant(-1),
  fc.constant(0),
  fc.constant(2 ** 31),
  fc.constant([]),
  fc.constant({}),
  fc.string(),
  fc.integer(),
  fc.double(),
  fc.boolean(),
);

/** Near-valid generation requests: right field names, values right or a little wrong. */
const nearRequest = fc.record(
  {
    prompt: fc.oneof(fc.string({ minLength: 1 }), junk),
    messages: fc.oneof(
      fc.array(
        fc.record(
          {
            role: fc.oneof(fc.constantFrom('user', 'assistant', 'system', 'tool'), junk),
            content: fc.oneof(fc.string(), junk),
            toolCallId: fc.oneof(fc.string(), junk),
          },
          { requiredKeys: [] },
        ),
        { maxLength: 3 },
      ),
      junk,
    ),
    system: fc.oneof(fc.string(), junk),
    model: fc.oneof(fc.constantFrom('mock-standard', 'mock-basic', 'gpt-4o', 'nosuch'), junk),
    providers: fc.oneof(fc.array(fc.oneof(fc.constantFrom('m', 'n', 'nosuch', 'constructor'), junk)), junk),
    strategy: fc.oneof(
      fc.constantFrom('failover', 'round_robin', 'cost_optimized', 'task_aware', 'queue_aware'),
      junk,
    ),
    taskType: fc.oneof(fc.constantFrom('code_generation', 'summarization', 'nosuch', 'constructor'), junk),
    capabilities: fc.oneof(
      fc.dictionary(
        fc.oneof(fc.constantFrom('code', 'reasoning', '__proto__', 'constructor'), fc.string()),
        fc.oneof(fc.integer({ min: -2, max: 6 }), junk),
        { maxKeys: 3 },
      ),
      junk,
    ),
    maxTokens: fc.oneof(fc.integer({ min: -5, max: 100_000 }), junk),
    temperature: fc.oneof(fc.double({ min: -1, max: 3 }), junk),
    deadlineMs: fc.oneof(fc.integer({ min: -5, max: 2 ** 33 }), junk),
    stream: fc.oneof(fc.boolean(), junk),
    metadata: fc.oneof(fc.dictionary(fc.string(), fc.jsonValue(), { maxKeys: 3 }), junk),
    idempotencyKey: fc.oneof(fc.string({ maxLength: 250 }), junk),
    continuation: fc.oneof(
      fc.record({ queue: fc.oneof(fc.string(), junk), payload: fc.anything() }, { requiredKeys: [] }),
      junk,
    ),
    tools: fc.oneof(
      fc.array(fc.record({ name: fc.oneof(fc.string(), junk), parameters: fc.anything() }), { maxLength: 2 }),
      junk,
    ),
    responseFormat: fc.oneof(
      fc.record({ type: fc.constantFrom('text', 'json', 'json_schema', 'nosuch'), schema: fc.anything() }),
      junk,
    ),
  },
  { requiredKeys: [] },
);

const requestLike = fc.oneof(
  { weight: 1, arbitrary: fc.anything() },
  { weight: 4, arbitrary: nearRequest },
  {
    weight: 1,
    arbitrary: fc.record({ prompt: fc.string({ minLength: 1 }), providers: fc.constant(['m']) }),
  },
);

describe('fuzzing the client', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await createHarness({ providers: mockInstances('m', 'n') }, 'fuzz');
    // The client's queues write their meta keys once, on first use: let that happen before counting keys.
    await harness.client.plan({ prompt: 'warm up', providers: ['m', 'n'], strategy: 'queue_aware' });
    await harness.client.plan({ prompt: 'warm up', providers: ['m', 'n'], strategy: 'round_robin' });
    await new Promise((resolve) => setTimeout(resolve, 300));
  });
  afterAll(async () => {
    await harness?.close();
  });

  const keysUnder = async () => (await harness.redis.keys(`${harness.settings.redis.prefix}:*`)).sort();

  it(
    'submit and plan: an id or a plan, or a ValidationError naming the field; nothing written on a rejection',
    async () => {
      await fc.assert(
        fc.asyncProperty(requestLike, async (request) => {
          for (const method of ['plan', 'submit'] as const) {
            const before = await keysUnder();
            const outcome = await settle(
              harness.client[method](request as never) as Promise<unknown>,
              5_000,
              `client.${method}`,
            );
            if (outcome.ok) continue;
            expectNamedError(outcome.error, `client.${method}(${safeJson(request)})`);
            expect(await keysUnder(), `keys written by a rejected ${method}`).toEqual(before);
          }
        }),
        { numRuns: runs(100) },
      );
    },
    budget(15_000, 100),
  );
});

/** Near-valid atlas.config.json contents: the right sections, values right or a little wrong. */
const timer = fc.oneof(
  fc.integer({ min: -1, max: 2 ** 32 }),
  fc.constantFrom(1e400, 2 ** 31 - 1, 2 ** 31, 0.5, 5e9),
  junk,
);
const instanceSettings = fc.record(
  {
    type: fc.oneof(fc.constantFrom('openai', 'anthropic', 'ollama', 'mock'), junk),
    baseURL: fc.oneof(fc.constantFrom('http://127.0.0.1:1/v1', 'file:///etc/passwd', 'not a url'), junk),
    host: fc.oneof(fc.constantFrom('http://127.0.0.1:11434', 'ftp://x'), junk),
    apiKeyEnv: fc.oneof(fc.constantFrom('OPENAI_API_KEY', ''), junk),
    defaultModel: fc.oneof(fc.constantFrom('gpt-4o', 'mock-basic'), junk),
    timeoutMs: timer,
    latencyMs: timer,
    failureRate: fc.oneof(fc.double({ min: -1, max: 2 }), junk),
    breaker: fc.oneof(
      fc.record(
        {
          errorThresholdPercentage: fc.oneof(fc.integer({ min: -5, max: 200 }), junk),
          volumeThreshold: fc.oneof(fc.integer({ min: -5, max: 10 }), junk),
          resetTimeoutMs: timer,
          rollingCountTimeoutMs: timer,
        },
        { requiredKeys: [] },
      ),
      junk,
    ),
    models: fc.oneof(
      fc.array(
        fc.record(
          { id: fc.oneof(fc.string(), junk), contextWindow: fc.oneof(fc.integer(), junk) },
          { requiredKeys: [] },
        ),
        { maxLength: 2 },
      ),
      junk,
    ),
  },
  { requiredKeys: [] },
);
const configLike = fc.oneof(
  { weight: 1, arbitrary: fc.jsonValue() },
  {
    weight: 4,
    arbitrary: fc.record(
      {
        providers: fc.oneof(
          fc.dictionary(
            fc.oneof(fc.constantFrom('openai', 'mock-b', 'bad name', '__proto__', 'a:b'), fc.string()),
            instanceSettings,
            { maxKeys: 3 },
          ),
          junk,
        ),
        strategy: fc.oneof(fc.constantFrom('failover', 'round_robin', 'nosuch'), junk),
        providerOrder: fc.oneof(fc.array(fc.constantFrom('openai', 'mock-b', 'mock', 'nosuch')), junk),
        redis: fc.oneof(
          fc.record(
            {
              url: fc.oneof(fc.string(), junk),
              prefix: fc.oneof(fc.constantFrom('atlas', '{x}', 'a:b'), junk),
            },
            { requiredKeys: [] },
          ),
          junk,
        ),
        generation: fc.oneof(
          fc.dictionary(
            fc.constantFrom('shortRateLimitWaitMs', 'defaultDeadlineMs', 'deltaFlushChars', 'nosuch'),
            timer,
          ),
          junk,
        ),
        workers: fc.oneof(
          fc.dictionary(fc.constantFrom('lockDurationMs', 'heartbeatIntervalMs', 'keepCompleted'), timer),
          junk,
        ),
        ingestion: fc.oneof(
          fc.record(
            {
              keepVersions: fc.oneof(fc.integer({ min: -1, max: 5 }), junk),
              allowPrivateUrls: fc.oneof(fc.boolean(), junk),
              qdrantUrl: fc.oneof(fc.constantFrom('http://127.0.0.1:6333', 'nope'), junk),
            },
            { requiredKeys: [] },
          ),
          junk,
        ),
        log: fc.oneof(fc.record({ level: fc.oneof(fc.constantFrom('info', 'loud'), junk) }), junk),
      },
      { requiredKeys: [] },
    ),
  },
);
/** The file's text: JSON of a config-like value, sometimes cut short or with comments. */
const configText = fc.oneof(
  { weight: 6, arbitrary: configLike.map((value) => JSON.stringify(value) ?? 'null') },
  {
    weight: 1,
    arbitrary: fc.tuple(configLike, fc.nat()).map(([value, cut]) => {
      const text = JSON.stringify(value) ?? '';
      return text.slice(0, cut % (text.length + 1));
    }),
  },
  {
    weight: 1,
    arbitrary: configLike.map((value) => `// settings\n${JSON.stringify(value, null, 2)} // end`),
  },
  { weight: 1, arbitrary: fc.string() },
);

describe('fuzzing atlas.config.json', () => {
  const folder = mkdtempSync(join(tmpdir(), 'atlas-fuzz-config-'));
  afterAll(() => rmSync(folder, { recursive: true, force: true }));

  it(
    'loadSettings gives settings, or a ConfigError naming the file and the setting',
    async () => {
      let index = 0;
      fc.assert(
        fc.property(configText, (text) => {
          const path = join(folder, `atlas.config.${index++}.json`);
          writeFileSync(path, text);
          try {
            const settings = loadSettings({ env: {}, configPath: path });
            expect(Object.keys(settings.providers).length).toBeGreaterThan(0);
          } catch (error) {
            expect(error, text).toBeInstanceOf(ConfigError);
            expectNamedError(error, text);
            expect(error.field, text).toContain(resolve(path));
          }
        }),
        { numRuns: runs(100) },
      );
    },
    budget(10_000, 100),
  );
});

it('a providerOrder naming an instance the file lacks names the file and the entry', () => {
  const folder = mkdtempSync(join(tmpdir(), 'atlas-fuzz-config-'));
  const path = join(folder, 'atlas.config.json');
  writeFileSync(path, '{"providerOrder":["mock-b"]}');
  expect(() => loadSettings({ env: {}, configPath: path })).toThrow(
    expect.objectContaining({ field: `${resolve(path)}.providerOrder[0]` }),
  );
  rmSync(folder, { recursive: true, force: true });
});

/** Filter trees: valid shapes, wrong operators and operands, huge numbers, empty lists, deep nesting. */
const fieldName = fc.constantFrom('source', 'year', 'tag', 'version', 'weird field', "o'brien", '$bad', '');
const operand = fc.oneof(
  fc.string({ maxLength: 8 }),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constantFrom(1e400, -1e400, Number.NaN, 1e308, 2 ** 63),
  fc.constant([]),
  fc.array(fc.oneof(fc.string({ maxLength: 4 }), fc.integer(), fc.constant(1e400)), { maxLength: 3 }),
  fc.constant(null),
  fc.constant({}),
);
const condition = fc.oneof(
  operand,
  fc
    .record({
      op: fc.constantFrom('$eq', '$ne', '$gt', '$gte', '$lt', '$lte', '$in', '$nin', '$like', '$and'),
      value: operand,
    })
    .map(({ op, value }) => ({ [op]: value })),
);
const { where: whereTree } = fc.letrec<{ where: unknown }>((tie) => ({
  where: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.dictionary(fieldName, condition, { minKeys: 0, maxKeys: 3 }),
    fc.record({ $and: fc.array(tie('where'), { maxLength: 3 }) }),
    fc.record({ $or: fc.array(tie('where'), { maxLength: 3 }) }),
    fc.constant([]),
    fc.constant(null),
  ),
}));
const { doc: documentTree } = fc.letrec<{ doc: unknown }>((tie) => ({
  doc: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.record({ $contains: fc.oneof(fc.string({ maxLength: 6 }), operand) }),
    fc.record({ $not_contains: fc.oneof(fc.string({ maxLength: 6 }), operand) }),
    fc.record({ $and: fc.array(tie('doc'), { maxLength: 3 }) }),
    fc.record({ $or: fc.array(tie('doc'), { maxLength: 3 }) }),
    fc.record({ $regex: fc.string() }),
    fc.constant({}),
  ),
}));
/** `{$and: [{$and: [... {field: value}]}]}`, `depth` levels deep. */
const nested = (depth: number, key: '$and' | '$or' = '$and'): unknown => {
  let where: unknown = { source: 'a.md' };
  for (let level = 0; level < depth; level++) where = { [key]: [where] };
  return where;
};
const deepWhere = fc.integer({ min: 20, max: 3_000 }).map((depth) => nested(depth));

describe('fuzzing search filters', () => {
  const folder = mkdtempSync(join(tmpdir(), 'atlas-fuzz-filter-'));
  const store = new LanceDbStore(folder);
  const dimensions = 64;
  beforeAll(async () => {
    await store.ensureCollection({ name: 'fuzz', embeddingModel: 'hashing', dimensions }, { create: true });
    const texts = ['Redis keeps the queue', 'Breakers open on faults', 'LanceDB stores vectors'];
    await store.upsert(
      'fuzz',
      texts.map((text, index) => ({
        id: `c${index}`,
        documentId: `d${index}`,
        chunkIndex: 0,
        version: 1,
        text,
        vector: hashingEmbedding(text, dimensions),
        metadata: { source: `${index}.md`, year: 2020 + index, tag: index % 2 === 0 },
      })),
    );
  });
  afterAll(async () => {
    await store.close();
    rmSync(folder, { recursive: true, force: true });
  });

  it(
    'a where / whereDocument tree validates or is a ValidationError naming its path; a valid one searches without a store error',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.oneof({ weight: 5, arbitrary: whereTree }, { weight: 1, arbitrary: deepWhere }),
          fc.option(documentTree, { nil: undefined }),
          fc.constantFrom('semantic', 'keyword', 'hybrid'),
          async (where, whereDocument, mode) => {
            let valid: {
              where: ReturnType<typeof validateWhere>;
              doc?: ReturnType<typeof validateWhereDocument>;
            };
            try {
              valid = {
                where: validateWhere(where),
                ...(whereDocument === undefined ? {} : { doc: validateWhereDocument(whereDocument) }),
              };
            } catch (error) {
              expectNamedError(error, safeJson(where));
              expect(error.field).toMatch(/^(where|whereDocument)/);
              return;
            }
            const outcome = await settle(
              store.search('fuzz', {
                mode,
                k: 3,
                query: 'redis queue',
                vector: hashingEmbedding('redis queue', dimensions),
                where: valid.where,
                ...(valid.doc ? { whereDocument: valid.doc } : {}),
              }),
              5_000,
              'search',
            );
            if (!outcome.ok)
              throw new Error(
                `a valid filter ${safeJson(where)} / ${safeJson(whereDocument)} failed in the store: ${String(outcome.error)}`,
              );
          },
        ),
        { numRuns: runs(100) },
      );
    },
    budget(15_000, 100),
  );

  // Counterexamples the property found, kept as plain tests.
  const search = (where: unknown) =>
    store.search('fuzz', {
      mode: 'semantic',
      k: 5,
      vector: hashingEmbedding('redis queue', dimensions),
      where: validateWhere(where),
    });

  it('a value of another type than the field’s column matches nothing, and $ne / $nin everything', async () => {
    expect(await search({ tag: '' })).toEqual([]);
    expect(await search({ source: { $eq: 1e308 } })).toEqual([]);
    expect(() => validateWhere({ year: { $gt: 'a' } })).toThrow(ValidationError);
    expect(await search({ source: { $gt: 3 } })).toEqual([]);
    expect(await search({ tag: { $ne: 'yes' } })).toHaveLength(3);
    expect(await search({ source: { $nin: [1, true] } })).toHaveLength(3);
    expect((await search({ source: { $in: [1, '1.md'] } })).map((hit) => hit.documentId)).toEqual(['d1']);
  });

  it('a filter nested 46 levels deep is refused by name, not by the store’s SQL parser', () => {
    expect(() => validateWhere(nested(46))).toThrow(ValidationError);
  });
});

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value)?.slice(0, 300) ?? String(value);
  } catch {
    return String(value);
  }
}
