import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSettings } from '../../src/shared/config/settings.js';
import { ConfigError, ValidationError } from '../../src/shared/errors.js';
import { LanceDbStore } from '../../src/shared/knowledge/lancedb/lancedb-store.js';
import { parseDocument } from '../../src/shared/knowledge/loaders/parse-document.js';
import { readSource } from '../../src/shared/knowledge/loaders/read-source.js';
import { validateWhere, validateWhereDocument } from '../../src/shared/knowledge/where-filter.js';
import { hashingEmbedding } from '../../src/shared/providers/mock/hashing-embedder.js';
import { makeDocx, makePdf } from '../support/document-fixtures.js';
import { createHarness, type Harness, mockInstances } from '../support/generation-harness.js';
import { deletePrefix, freshPrefix, redisUrl } from '../support/redis.js';
import { runCliInProcess } from '../support/run-cli.js';

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
  fc.constantFrom(Number.POSITIVE_INFINITY, 2 ** 31 - 1, 2 ** 31, 0.5, 5e9),
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
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '{"generation": {"defaultDeadlineMs": 1e400}}',
      '{"workers": {"heartbeatIntervalMs": 5e9}}',
      '{"providers": {"x": {"type": "mock", "latencyMs": -1e400}}}',
    ),
  },
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
  fc.constantFrom(Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.NaN, 1e308, 2 ** 63),
  fc.constant([]),
  fc.array(fc.oneof(fc.string({ maxLength: 4 }), fc.integer(), fc.constant(Number.POSITIVE_INFINITY)), {
    maxLength: 3,
  }),
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

/** A file to ingest: a name with a type Atlas reads, and bytes that are that type, broken, or garbage. */
function fileArbitrary(pdf: Buffer, docx: Buffer) {
  const extension = fc.constantFrom('txt', 'md', 'html', 'pdf', 'docx', 'json', 'jsonl', 'csv');
  const cut = (bytes: Buffer) => fc.nat({ max: bytes.length }).map((end) => bytes.subarray(0, end));
  const deepJson = fc
    .tuple(fc.integer({ min: 1, max: 200_000 }), fc.constantFrom('[', '{"a":'))
    .map(([depth, open]) => Buffer.from(`${open.repeat(depth)}1${(open === '[' ? ']' : '}').repeat(depth)}`));
  const hugeLine = fc
    .tuple(fc.integer({ min: 100_000, max: 2_000_000 }), fc.constantFrom('a', 'é', ',', '"', '<', '#', '\0'))
    .map(([length, char]) => Buffer.from(char.repeat(length)));
  const bytes = fc.oneof(
    cut(pdf),
    cut(docx),
    fc.uint8Array({ maxLength: 4_096 }).map((array) => Buffer.from(array)),
    fc.string({ unit: 'binary', maxLength: 2_000 }).map((text) => Buffer.from(text)),
    deepJson,
    hugeLine,
    fc.constant(pdf),
    fc.constant(docx),
    fc.constant(Buffer.from('a,b\n1,2\n"unterminated')),
    fc.constant(Buffer.from('{"ok": true}\n{broken')),
    fc.constant(Buffer.alloc(0)),
  );
  return fc.record({ extension, bytes });
}

describe('fuzzing ingested files', () => {
  const folder = mkdtempSync(join(tmpdir(), 'atlas-fuzz-files-'));
  let pdf: Buffer;
  let docx: Buffer;
  beforeAll(async () => {
    pdf = makePdf('Breakers open when an instance keeps failing.');
    docx = await makeDocx(['Redis keeps the queues.', 'Workers take the jobs.']);
  });
  afterAll(() => rmSync(folder, { recursive: true, force: true }));

  it(
    'readSource gives a document, or a ValidationError naming the file',
    async () => {
      let index = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.constant(null).chain(() => fileArbitrary(pdf, docx)),
          async ({ extension, bytes }) => {
            const name = `doc-${index++}.${extension}`;
            const path = join(folder, name);
            writeFileSync(path, bytes);
            const outcome = await settle(readSource(path, { roots: [folder] }), 10_000, `readSource ${name}`);
            rmSync(path);
            if (outcome.ok) {
              expect(typeof outcome.value.text).toBe('string');
              expect(outcome.value.source).toBe(name);
              return;
            }
            expectNamedError(outcome.error, `${name} (${bytes.length} bytes)`);
            expect(outcome.error.field).toContain(name);
          },
        ),
        { numRuns: runs(60) },
      );
    },
    budget(20_000, 60),
  );

  it('parseDocument names the source of a PDF cut short', async () => {
    const error = await parseDocument('cut.pdf', 'pdf', makePdf('x').subarray(0, 40)).catch(
      (caught: unknown) => caught,
    );
    expectNamedError(error, 'cut.pdf');
    expect(error.field).toBe('cut.pdf');
  });
});

/** A flag with one of its values, or the flag alone. */
const flag = (name: string, values: fc.Arbitrary<string>): fc.Arbitrary<string[]> =>
  fc.oneof(
    { weight: 4, arbitrary: values.map((value) => [name, value]) },
    { weight: 1, arbitrary: fc.constant<string[]>([name]) },
  );
/** Some of the flags, each with its value, in the order given. */
const someOf = (...flags: fc.Arbitrary<string[]>[]): fc.Arbitrary<string[]> =>
  fc
    .subarray(flags)
    .chain((chosen) => fc.tuple(...chosen) as fc.Arbitrary<string[][]>)
    .map((parts) => parts.flat());
const number = fc.oneof(
  fc.constantFrom(
    '0',
    '-1',
    '1',
    '3',
    '1e20',
    '1e400',
    '2.5',
    'abc',
    '',
    '0x10',
    ' 7 ',
    'NaN',
    '99999999999999999999',
  ),
  fc.nat().map(String),
);
const text = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('hello', 'why is the sky blue') },
  { weight: 1, arbitrary: fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom('--json', '-q', '')) },
);
const collection = fc.constantFrom('handbook', 'fuzz_docs', '', 'a b', 'x'.repeat(300), '../up', 'Ω');
const jsonFilter = fc.oneof(
  fc.constantFrom(
    '{"source": "a.md"}',
    '{"year": {"$gt": 1e400}}',
    '{"tag": {"$in": []}}',
    '{"$and": []}',
    '{not json',
    '[]',
    'null',
    '{"$contains": "Redis"}',
    JSON.stringify(nested(60)),
  ),
  whereTree.map((where) => JSON.stringify(where) ?? 'null'),
);

const queryArgs = fc
  .tuple(
    fc.oneof({ weight: 5, arbitrary: flag('-q', text) }, { weight: 1, arbitrary: fc.constant<string[]>([]) }),
    someOf(
      flag('--system', text),
      flag('--providers', fc.constantFrom('mock', 'nosuch', 'mock,mock', 'mock nosuch', ',', 'constructor')),
      flag(
        '--provider-strategy',
        fc.constantFrom(
          'failover',
          'round_robin',
          'cost_optimized',
          'task_aware',
          'queue_aware',
          'nosuch',
          '',
        ),
      ),
      flag('--model', fc.constantFrom('mock-basic', 'gpt-4o', 'nosuch', '')),
      flag(
        '--task-type',
        fc.constantFrom('code_generation', 'summarization', 'constructor', '__proto__', 'x'),
      ),
      flag(
        '--capabilities',
        fc.constantFrom('code:strong', 'code:strong:extra', ':', 'reasoning:9', 'x', 'toString:basic'),
      ),
      flag('--max-tokens', number),
      flag('--timeout', number),
      flag('--knowledge', collection),
      fc.constant<string[]>(['--stream']),
      fc.constant<string[]>(['--json']),
    ),
    fc.boolean(),
    fc.oneof(
      { weight: 9, arbitrary: fc.constant<string[]>([]) },
      { weight: 1, arbitrary: fc.constant(['--unknown-flag']) },
    ),
  )
  .map(([query, rest, plan, unknown]) => [
    'query',
    ...query,
    ...rest,
    ...(plan ? ['--plan'] : []),
    ...unknown,
  ]);

const searchArgs = fc
  .tuple(
    fc.oneof({ weight: 5, arbitrary: flag('-q', text) }, { weight: 1, arbitrary: fc.constant<string[]>([]) }),
    fc.oneof(
      { weight: 5, arbitrary: flag('--collection', collection) },
      { weight: 1, arbitrary: fc.constant<string[]>([]) },
    ),
    someOf(
      flag('--mode', fc.constantFrom('semantic', 'keyword', 'hybrid', 'nosuch')),
      flag('-k', number),
      flag('--where', jsonFilter),
      flag('--where-document', jsonFilter),
      flag('--embedder', fc.constantFrom('mock', 'nosuch', 'openai', '')),
      fc.constant<string[]>(['--json']),
    ),
  )
  .map(([query, name, rest]) => ['search', ...query, ...name, ...rest]);

it('an empty ingestion source is refused by name', async () => {
  const { expandSources } = await import('../../src/producer/expand-sources.js');
  const error = await expandSources(['docs', '']).catch((caught: unknown) => caught);
  expectNamedError(error, 'expandSources');
  expect(error.field).toBe('sources[1]');
});

describe('fuzzing the CLI', () => {
  const folder = mkdtempSync(join(tmpdir(), 'atlas-fuzz-cli-'));
  const prefix = freshPrefix('fuzz-cli');
  let env: Record<string, string>;
  const ingestArgs = fc
    .tuple(
      fc.array(
        fc.constantFrom(
          join(folder, 'a.md'),
          join(folder, 'b.txt'),
          join(folder, '*.md'),
          join(folder, '{a.md,b.txt}'),
          join(folder, 'missing.md'),
          join(folder, 'bad.pdf'),
          folder,
          '/etc/passwd',
          `${folder}/../../etc/hostname`,
          'http://127.0.0.1:1/x.html',
          'file:///etc/passwd',
          'ftp://example.com/a.txt',
          '',
        ),
        { maxLength: 3 },
      ),
      fc.oneof(
        { weight: 5, arbitrary: flag('--collection', collection) },
        { weight: 1, arbitrary: fc.constant<string[]>([]) },
      ),
      someOf(
        flag('--chunker', fc.constantFrom('fixed', 'recursive', 'markdown', 'semantic', 'nosuch')),
        flag('--chunk-size', number),
        flag('--overlap', number),
        flag('--embedder', fc.constantFrom('mock', 'nosuch', 'openai')),
        flag('--keep-versions', number),
        fc.constant<string[]>(['--prune']),
        fc.constant<string[]>(['--json']),
      ),
    )
    .map(([sources, name, rest]) => ['ingest', ...sources, ...name, ...rest]);

  beforeAll(() => {
    writeFileSync(join(folder, 'a.md'), '# Breakers\n\nA breaker opens when an instance keeps failing.\n');
    writeFileSync(join(folder, 'b.txt'), 'Redis keeps the queues; workers take the jobs.\n');
    writeFileSync(join(folder, 'bad.pdf'), '%PDF-1.4 cut');
    env = {
      REDIS_URL: redisUrl(),
      ATLAS_PREFIX: prefix,
      ATLAS_KNOWLEDGE_DIR: join(folder, 'store'),
      ATLAS_PROVIDERS: 'mock',
      ATLAS_LOG_LEVEL: 'silent',
    };
  });
  afterAll(async () => {
    const redis = (await import('../support/redis.js')).connect();
    await deletePrefix(redis, prefix);
    redis.disconnect();
    rmSync(folder, { recursive: true, force: true });
  });

  it(
    'query, search and ingest with random flags: exit 0, 1 or 2; an error is one line on stderr, never a stack trace',
    async () => {
      await fc.assert(
        fc.asyncProperty(fc.oneof(queryArgs, searchArgs, ingestArgs), async (argv) => {
          const outcome = await settle(runCliInProcess(argv, env), 15_000, `atlas ${argv.join(' ')}`);
          if (!outcome.ok) throw new Error(`atlas ${argv.join(' ')} threw: ${String(outcome.error)}`);
          const { code, stdout, stderr } = outcome.value;
          const context = `atlas ${argv.join(' ')}\nexit ${code}\nstdout: ${stdout.slice(0, 500)}\nstderr: ${stderr}`;
          expect([0, 1, 2], context).toContain(code);
          expect(stderr + stdout, context).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
          if (code === 0) return;
          const errors = stderr
            .split('\n')
            .filter((line) => line.trim())
            // What the command said before failing, and commander's pointer to --help.
            .filter((line) => !/^atlas: no worker serves .*; running workers in this process$/.test(line))
            .filter((line) => line !== 'atlas: no ingestion worker is running; ingesting in this process')
            .filter((line) => line !== '(run with --help for usage)');
          expect(errors, context).toHaveLength(1);
        }),
        { numRuns: runs(60) },
      );
    },
    budget(25_000, 60),
  );
});

describe('fuzzing job payloads put straight into Redis', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await createHarness({ providers: { m: { type: 'mock', latencyMs: 0 } } }, 'fuzz-jobs');
    await harness.startWorkers();
  });
  afterAll(async () => {
    await harness?.close();
  });

  const queue = () => harness.client['queues'].get('m');
  const jobHash = (id: string) => `${harness.keys.bullPrefix}:${harness.keys.generationQueue('m')}:${id}`;

  /** Waits for a job to end; its state and failed reason, read without parsing the job (its data may be garbage). */
  async function ending(id: string, ms = 6_000): Promise<{ state: string; reason: string }> {
    const until = Date.now() + ms;
    for (;;) {
      const state = await queue().getJobState(id);
      const reason = (await harness.redis.hget(jobHash(id), 'failedReason')) ?? '';
      if (state === 'failed' || state === 'completed' || state === 'unknown') return { state, reason };
      if (Date.now() > until) return { state: `still ${state} after ${ms} ms`, reason };
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  const expectServing = async () => {
    const result = await settle(
      harness.client.generate({ prompt: 'still serving?', providers: ['m'] }),
      5_000,
      'a valid request after garbage',
    );
    if (!result.ok) throw result.error;
    expect(result.value.provider).toBe('m');
  };

  const garbageData = fc.oneof(
    fc.anything(),
    fc.record(
      {
        requestId: fc.oneof(fc.string(), fc.uuid(), junk),
        attempt: fc.oneof(fc.integer({ min: -3, max: 5 }), junk),
      },
      { requiredKeys: [] },
    ),
  );

  it(
    'Queue.add with garbage data: the job fails with a reason naming it; the worker keeps serving',
    async () => {
      let index = 0;
      await fc.assert(
        fc.asyncProperty(garbageData, async (data) => {
          const id = `garbage-${index++}`;
          await queue().add('generate', data as never, { jobId: id });
          const { state, reason } = await ending(id);
          expect(state, `${safeJson(data)}: ${reason}`).toBe('failed');
          expect(reason).toContain(`job ${id}`);
          if (index % 10 === 0) await expectServing();
        }),
        { numRuns: runs(40) },
      );
      await expectServing();
    },
    budget(15_000, 40),
  );

  /** Adds jobs due in 150 ms, overwrites one field of each hash, and waits for them all to end. */
  async function corrupt(field: string, values: string[], label: string, ms = 6_000) {
    const ids = values.map((_, index) => `${label}-${Date.now()}-${index}`);
    await Promise.all(
      ids.map((id) => queue().add('generate', { requestId: 'none', attempt: 0 }, { jobId: id, delay: 150 })),
    );
    await Promise.all(ids.map((id, index) => harness.redis.hset(jobHash(id), field, values[index]!)));
    return Promise.all(
      ids.map(async (id, index) => ({ id, value: values[index]!, ...(await ending(id, ms)) })),
    );
  }

  it(
    'a job hash whose data is overwritten with JSON of another shape: each job fails with a reason naming it',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(
            fc.oneof(
              fc.jsonValue().map((value) => JSON.stringify(value)),
              fc.constantFrom('{"requestId":1}', '{"attempt":-1,"requestId":"x"}', 'null', '"text"'),
            ),
            { minLength: 1, maxLength: 8 },
          ),
          async (values) => {
            for (const { id, value, state, reason } of await corrupt('data', values, 'hset')) {
              expect(state, `data=${value}: ${reason}`).toBe('failed');
              expect(reason).toContain(`job ${id}`);
            }
          },
        ),
        { numRuns: runs(5) },
      );
      await expectServing();
    },
    budget(10_000, 5),
  );

  // A job whose data is not JSON cannot even be read by BullMQ: it cycles between active and stalled
  // (issue 10, defect 7). The sweep that fails it is being added with the defect's fix
  // (src/workers/unreadable-jobs.ts); until it is there, this property waits for it.
  it.skipIf(!existsSync(new URL('../../src/workers/unreadable-jobs.ts', import.meta.url)))(
    'a job hash whose data is overwritten with text that is not JSON: each job fails with a named reason',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(
            fc.oneof(
              fc.string({ minLength: 1 }).filter((text) => !parses(text)),
              fc.constantFrom('{', 'undefined', '\u0000', '{"requestId":'),
            ),
            { minLength: 1, maxLength: 8 },
          ),
          async (values) => {
            for (const { value, state, reason } of await corrupt('data', values, 'unreadable', 15_000)) {
              expect(state, `data=${JSON.stringify(value)}: ${reason}`).toBe('failed');
              expect(reason).toMatch(/not JSON/);
            }
          },
        ),
        { numRuns: runs(2) },
      );
      await expectServing();
    },
    budget(40_000, 2),
  );

  // Found by fuzzing: a job whose `opts` field is not JSON cycles the same way, and the data sweep above
  // does not look at `opts`.
  it.todo('a job hash whose opts is overwritten with text that is not JSON fails with a named reason');
});

function parses(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value)?.slice(0, 300) ?? String(value);
  } catch {
    return String(value);
  }
}
