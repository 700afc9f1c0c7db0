import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, deletePrefix, freshPrefix, redisUrl } from '../support/redis.js';
import { type CapturedRun, runCaptured } from '../support/run-cli.js';

/**
 * Every ```ts block, and every ```sh block that calls `atlas`, in README.md and docs/*.md runs, unless
 * its info string says `no-run: <reason>`. ts blocks run through tsx from a file inside the repository
 * (so `atlas-queue` resolves to the source); sh blocks run their `atlas` (and `npx atlas`) lines
 * through the CLI's source in one process (test/support/run-doc-shell.ts), other lines in bash. Each block gets a Redis prefix and a knowledge folder of its own.
 */
interface Block {
  file: string;
  line: number;
  lang: 'ts' | 'sh';
  code: string;
}

function blocksOf(file: string): { blocks: Block[]; unmarked: string[] } {
  const lines = readFileSync(file, 'utf8').split('\n');
  const blocks: Block[] = [];
  const unmarked: string[] = [];
  for (let index = 0; index < lines.length; index++) {
    const open = /^```(\S*)\s*(.*)$/.exec(lines[index]!);
    if (!open || open[1] === '') continue;
    const start = index;
    const body: string[] = [];
    for (index++; index < lines.length && !lines[index]!.startsWith('```'); index++) body.push(lines[index]!);
    const lang = open[1]!;
    const info = open[2] ?? '';
    const code = body.join('\n');
    const runnable =
      ['ts', 'typescript'].includes(lang) ||
      (['sh', 'bash', 'shell'].includes(lang) && /(^|[\s;&|(])(npx )?atlas\s/m.test(code));
    if (!runnable) continue;
    if (/no-run:\s*\S/.test(info)) continue;
    if (/no-run/.test(info)) unmarked.push(`${file}:${start + 1} says no-run without a reason`);
    blocks.push({ file, line: start + 1, lang: lang.startsWith('t') ? 'ts' : 'sh', code });
  }
  return { blocks, unmarked };
}

const files = [
  'README.md',
  ...readdirSync('docs')
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
];
const parsed = files.map(blocksOf);
const blocks = parsed.flatMap((entry) => entry.blocks);
const unmarked = parsed.flatMap((entry) => entry.unmarked);
const scratch = join('.atlas', `doc-blocks-${process.pid}`);
const prefixes: string[] = [];
const results = new Map<Block, { code: number | null; output: string; ms: number }>();

function environment(prefix: string, knowledge: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of Object.keys(env))
    if (/^(OPENAI_|ANTHROPIC_|OLLAMA_|QDRANT_|ATLAS_)/.test(name)) delete env[name];
  return {
    ...env,
    REDIS_URL: redisUrl(),
    ATLAS_PREFIX: prefix,
    ATLAS_KNOWLEDGE_DIR: knowledge,
    ATLAS_LOG_LEVEL: 'silent',
  };
}

async function run(block: Block, index: number): Promise<CapturedRun> {
  const prefix = freshPrefix(`doc${index}`);
  prefixes.push(prefix);
  const knowledge = mkdtempSync(join(tmpdir(), 'atlas-doc-knowledge-'));
  let command: string[];
  if (block.lang === 'ts') {
    const path = join(scratch, `block-${index}.ts`);
    writeFileSync(path, block.code);
    command = [process.execPath, '--import', 'tsx', path];
  } else {
    const path = join(scratch, `block-${index}.sh`);
    writeFileSync(path, block.code);
    command = [process.execPath, '--import', 'tsx', 'test/support/run-doc-shell.ts', path];
  }
  const result = await runCaptured(command, environment(prefix, knowledge), 60_000);
  rmSync(knowledge, { recursive: true, force: true });
  return result;
}

beforeAll(async () => {
  mkdirSync(scratch, { recursive: true });
  const queue = blocks.map((block, index) => ({ block, index }));
  const worker = async () => {
    for (let next = queue.shift(); next; next = queue.shift())
      results.set(next.block, await run(next.block, next.index));
  };
  await Promise.all(Array.from({ length: 4 }, worker));
}, 90_000);

afterAll(async () => {
  rmSync(scratch, { recursive: true, force: true });
  const redis = connect();
  for (const prefix of prefixes) await deletePrefix(redis, prefix);
  redis.disconnect();
  const times = [...results].map(
    ([block, result]) => `${block.file}:${block.line} ${(result.ms / 1000).toFixed(1)} s`,
  );
  console.log(`doc blocks: ${times.join(', ')}`);
});

describe('code blocks of README.md and docs/', () => {
  it('mark every block left out with a reason', () => {
    expect(unmarked).toEqual([]);
    expect(blocks.length).toBeGreaterThan(5);
  });

  it.each(blocks.map((block) => [`${block.file}:${block.line} (${block.lang})`, block] as const))(
    '%s runs',
    (_name, block) => {
      const result = results.get(block)!;
      expect(result.code, `${block.file}:${block.line} exited ${result.code}:\n${result.output}`).toBe(0);
    },
  );
});
