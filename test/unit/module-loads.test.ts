import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

// Each entry point is loaded from source in a child process whose every module load is recorded by a
// `module.register` hook (test/support/record-loads.mjs); the test reads which packages came with it.

const run = promisify(execFile);
const heavy = ['@lancedb/lancedb', 'pdfjs-dist', 'mammoth', 'piscina'];
const sdks = ['openai', '@anthropic-ai/sdk', 'ollama'];

/** The packages (from node_modules) a child process loaded, running `args` after the recorder and tsx. */
async function packagesLoaded(args: string[]): Promise<Set<string>> {
  const record = join(mkdtempSync(join(tmpdir(), 'atlas-loads-')), 'loads.txt');
  await run(process.execPath, ['--import', './test/support/record-loads.mjs', '--import', 'tsx', ...args], {
    env: { ...process.env, ATLAS_LOAD_RECORD: record, ATLAS_LOG_LEVEL: 'silent' },
    timeout: 60_000,
  });
  const packages = new Set<string>();
  for (const url of readFileSync(record, 'utf8').split('\n')) {
    const match = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(decodeURIComponent(url));
    if (match) packages.add(match[1]!);
  }
  return packages;
}

const importing = (code: string) => ['--input-type=module', '-e', code];

describe.concurrent('what each entry point loads', () => {
  it('the client entry loads BullMQ and Redis but no store, parser, thread pool or SDK', async () => {
    const loaded = await packagesLoaded(importing("await import('./src/index.ts');"));
    expect(loaded).toContain('bullmq');
    expect(loaded).toContain('ioredis');
    for (const name of [...heavy, ...sdks]) expect(loaded, name).not.toContain(name);
  });

  it('createProvider and ProviderGroup build providers without loading their SDKs', async () => {
    const loaded = await packagesLoaded(
      importing(`const { createProvider, ProviderGroup } = await import('./src/index.ts');
const members = ['openai', 'anthropic', 'ollama', 'mock'].map((type) => createProvider({ type, apiKey: 'k' }));
new ProviderGroup(members);`),
    );
    for (const name of [...heavy, ...sdks]) expect(loaded, name).not.toContain(name);
  });

  it('a provider loads its SDK on its first call', async () => {
    const loaded = await packagesLoaded(
      importing(`const { createProvider } = await import('./src/index.ts');
const provider = createProvider({ type: 'openai', apiKey: 'k', settings: { baseURL: 'http://127.0.0.1:9/v1', timeoutMs: 1000 } });
await provider.generate({ messages: [{ role: 'user', content: 'hi' }] }).catch(() => undefined);`),
    );
    expect(loaded).toContain('openai');
    expect(loaded).not.toContain('@anthropic-ai/sdk');
  });

  it('`atlas --help` loads no BullMQ, Redis client or SDK', async () => {
    const loaded = await packagesLoaded(['src/cli/main.ts', '--help']);
    expect(loaded).toContain('commander');
    for (const name of ['bullmq', 'ioredis', ...heavy, ...sdks]) expect(loaded, name).not.toContain(name);
  });

  it('the server entry, its routes built, loads fastify and BullMQ but no store, parser, thread pool or SDK', async () => {
    const loaded = await packagesLoaded(
      importing(`const { buildServer } = await import('./src/server.ts');
const { loadSettings } = await import('./src/index.ts');
const server = await buildServer({ settings: loadSettings({ env: { REDIS_URL: 'redis://127.0.0.1:9' }, overrides: { log: { level: 'silent' } } }) });
await server.app.ready();
server.app.server.unref();
await server.close().catch(() => undefined);`),
    );
    expect(loaded).toContain('fastify');
    expect(loaded).toContain('bullmq');
    for (const name of [...heavy, ...sdks]) expect(loaded, name).not.toContain(name);
  });

  it('`atlas query` loads no worker code until it finds no worker serving its plan', async () => {
    const loaded = await packagesLoaded(importing("await import('./src/cli/commands/query-action.ts');"));
    expect(loaded).toContain('bullmq');
    for (const name of ['opossum', 'fast-glob', ...heavy, ...sdks]) expect(loaded, name).not.toContain(name);
  });

  it('the worker entry loads BullMQ', async () => {
    const loaded = await packagesLoaded(importing("await import('./src/worker.ts');"));
    expect(loaded).toContain('bullmq');
  });
});
