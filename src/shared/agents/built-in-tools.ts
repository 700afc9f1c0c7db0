import * as z from 'zod';
import type { AddressGuardOptions } from '../net/address-guard.js';
import { guardedFetch } from '../net/guarded-fetch.js';
import { evaluateExpression } from './calculator.js';
import { defineTool, workerTool } from './tools.js';

/** Evaluates arithmetic without running code. */
export const calculatorTool = defineTool({
  name: 'calculator',
  description:
    'Evaluates an arithmetic expression: numbers, + - * / % ^, parentheses, sqrt, abs, round, floor, ceil, ln, log, exp, sin, cos, tan, min, max, pow, pi, e.',
  input: z.object({
    expression: z.string().min(1).max(1_000).describe('The expression, for example "(2 + 3) * 4"'),
  }),
  run: ({ expression }) => ({ expression, result: evaluateExpression(expression) }),
});

export interface KnowledgeSearchHit {
  text: string;
  documentId?: string;
  score?: number;
  metadata?: Record<string, unknown>;
}

/** How the knowledge tool searches: `client.knowledge.search` or a store, bound by the caller. */
export type KnowledgeSearch = (
  query: string,
  options: { collection: string; k: number },
) => Promise<readonly KnowledgeSearchHit[]>;

export interface KnowledgeSearchToolOptions {
  /** The collection searched when the model names none. */
  defaultCollection?: string;
  /** @default 5 */
  defaultK?: number;
}

/** Searches a knowledge collection and returns its best passages with their sources. */
export function knowledgeSearchTool(search: KnowledgeSearch, options: KnowledgeSearchToolOptions = {}) {
  const collection = options.defaultCollection
    ? z.string().min(1).default(options.defaultCollection)
    : z.string().min(1);
  return defineTool({
    name: 'knowledge_search',
    description: 'Searches a knowledge collection and returns the most relevant passages with their sources.',
    input: z.object({
      query: z.string().min(1).describe('What to look for'),
      collection: collection.describe('The collection to search'),
      k: z
        .number()
        .int()
        .min(1)
        .max(20)
        .default(options.defaultK ?? 5)
        .describe('How many passages'),
    }),
    run: async ({ query, collection, k }) => {
      const hits = await search(query, { collection, k });
      return hits.map((hit) => {
        const source = typeof hit.metadata?.['source'] === 'string' ? hit.metadata['source'] : hit.documentId;
        return {
          text: hit.text,
          ...(source === undefined ? {} : { source }),
          ...(hit.score === undefined ? {} : { score: hit.score }),
        };
      });
    },
  });
}

/**
 * The knowledge-search tool as an agent names it: agent workers provide it, bound to the knowledge store
 * and the fleet's embedders, with `agents.knowledgeCollection` as its default collection.
 */
export const knowledgeSearch = workerTool(
  'knowledge_search',
  'Searches a knowledge collection and returns the most relevant passages with their sources.',
);

export interface HttpFetchToolOptions extends Pick<AddressGuardOptions, 'allowPrivate' | 'resolve'> {
  /** @default 15000 */
  timeoutMs?: number;
  /** Longest body returned to the model, in bytes; the rest is cut. @default 100000 */
  maxBytes?: number;
  /** @default 5 */
  maxRedirects?: number;
}

/**
 * Fetches an http(s) URL and returns its status, content type and text. Refuses private, loopback and
 * link-local addresses (unless allowed), on every redirect hop and at connect time.
 */
export function httpFetchTool(options: HttpFetchToolOptions = {}) {
  const guard = {
    allowPrivate: options.allowPrivate ?? false,
    ...(options.resolve ? { resolve: options.resolve } : {}),
  };
  const maxBytes = options.maxBytes ?? 100_000;
  return defineTool({
    name: 'http_fetch',
    description:
      'Fetches a public web page or API over http(s) and returns its status, content type and text.',
    input: z.object({ url: z.url({ protocol: /^https?$/ }).describe('An absolute http or https URL') }),
    run: async ({ url }, context) => {
      const response = await guardedFetch(url, {
        ...guard,
        field: 'url',
        timeoutMs: options.timeoutMs ?? 15_000,
        maxBytes,
        overLimit: 'truncate',
        signal: context.signal,
        accept: 'text/*, application/json;q=0.9, */*;q=0.5',
        ...(options.maxRedirects === undefined ? {} : { maxRedirects: options.maxRedirects }),
      });
      return {
        url: response.url.toString(),
        status: response.status,
        contentType: response.contentType,
        text: response.bytes.toString('utf8'),
        ...(response.truncated ? { truncated: true } : {}),
      };
    },
  });
}
