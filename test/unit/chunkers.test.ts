import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/shared/errors.js';
import { chunkFixed } from '../../src/shared/knowledge/chunkers/chunk-fixed.js';
import { chunkMarkdown } from '../../src/shared/knowledge/chunkers/chunk-markdown.js';
import { chunkRecursive } from '../../src/shared/knowledge/chunkers/chunk-recursive.js';
import { chunkSemantic } from '../../src/shared/knowledge/chunkers/chunk-semantic.js';
import { countTokens } from '../../src/shared/knowledge/chunkers/tokenizer.js';
import { hashingEmbedding } from '../../src/shared/providers/mock/hashing-embedder.js';

const words = (count: number, prefix = 'word') =>
  Array.from({ length: count }, (_, index) => `${prefix}${index}`).join(' ');

describe('fixed-size chunks in tokens, with overlap', () => {
  it('windows the text by token count, sharing `overlap` tokens with the previous chunk', () => {
    const text = words(300);
    const chunks = chunkFixed(text, { chunkSize: 100, overlap: 20 });
    expect(chunks.length).toBeGreaterThan(2);
    for (const chunk of chunks.slice(0, -1)) expect(countTokens(chunk.text)).toBe(100);
    for (const chunk of chunks) expect(text.slice(chunk.startChar, chunk.endChar)).toBe(chunk.text);
    // The overlap: each chunk starts inside the previous one.
    for (let i = 1; i < chunks.length; i++) expect(chunks[i]!.startChar).toBeLessThan(chunks[i - 1]!.endChar);
    expect(chunks.at(-1)!.endChar).toBe(text.length);
    expect(chunks.map((chunk) => chunk.index)).toEqual(chunks.map((_, index) => index));
  });

  it('names a size or overlap that cannot work', () => {
    expect(() => chunkFixed('x', { chunkSize: 0 })).toThrow(ValidationError);
    expect(() => chunkFixed('x', { chunkSize: 10, overlap: 10 })).toThrow(
      /overlap: expected a whole number of tokens from 0 to chunkSize - 1 \(9\)/,
    );
  });
});

describe('recursive chunks', () => {
  it('keeps paragraphs whole when they fit and packs small neighbours together', () => {
    const text = `First paragraph is short.\n\nSecond one too.\n\n${words(120, 'long')}`;
    const chunks = chunkRecursive(text, { chunkSize: 60 });
    expect(chunks[0]!.text.startsWith('First paragraph is short.\n\nSecond one too.')).toBe(true);
    expect(chunks.length).toBeGreaterThan(2);
    for (const chunk of chunks) {
      expect(countTokens(chunk.text)).toBeLessThanOrEqual(60);
      expect(text.slice(chunk.startChar, chunk.endChar)).toBe(chunk.text);
    }
  });

  it('splits an over-long paragraph at sentence ends before words', () => {
    const sentence = (n: number) => `Sentence number ${n} says something about topic ${n}.`;
    const text = Array.from({ length: 20 }, (_, n) => sentence(n)).join(' ');
    const chunks = chunkRecursive(text, { chunkSize: 40 });
    expect(chunks.length).toBeGreaterThan(1);
    for (const chunk of chunks) expect(chunk.text.endsWith('.')).toBe(true);
  });
});

describe('markdown chunks', () => {
  it('carries each section’s heading path', () => {
    const text =
      '# Guide\nIntro text.\n## Install\nRun npm ci.\n### On Debian\nInstall redis-server.\n## Use\nRun atlas demo.\n';
    const chunks = chunkMarkdown(text, { chunkSize: 200 });
    expect(chunks.map((chunk) => [chunk.headingPath, chunk.text.split('\n').at(-1)])).toEqual([
      [['Guide'], 'Intro text.'],
      [['Guide', 'Install'], 'Run npm ci.'],
      [['Guide', 'Install', 'On Debian'], 'Install redis-server.'],
      [['Guide', 'Use'], 'Run atlas demo.'],
    ]);
  });
});

describe('semantic chunks', () => {
  it('breaks where neighbouring sentences stop sharing meaning (lexical embeddings here)', async () => {
    const cats = 'Cats purr when cats are calm. Cats sleep a lot, cats love sun. Calm cats purr and sleep.';
    const ships = 'Ships sail the ocean. Ocean ships carry cargo. Cargo ships cross the ocean.';
    const chunks = await chunkSemantic(`${cats} ${ships}`, {
      embed: async (texts) => texts.map((text) => hashingEmbedding(text, 256)),
      breakpointPercentile: 50,
    });
    expect(chunks.map((chunk) => chunk.text)).toContain(ships);
    expect(chunks.some((chunk) => chunk.text.includes('Cats') && chunk.text.includes('Ships'))).toBe(false);
  });
});
