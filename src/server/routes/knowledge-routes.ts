import * as z from 'zod';
import type { AtlasClient } from '../../producer/atlas-client.js';
import { ValidationError } from '../../shared/errors.js';
import { ingestOptionsSchema } from '../../shared/knowledge/ingest-jobs.js';
import { notFound } from '../http-error.js';
import type { RouteTable } from '../route-table.js';

const searchFields = {
  collection: z.string().min(1),
  mode: z.enum(['semantic', 'keyword', 'hybrid']).optional(),
  k: z.number().int().positive().max(100).optional(),
  where: z.unknown().optional(),
  whereDocument: z.unknown().optional(),
  embedder: z.string().min(1).optional(),
  embeddingModel: z.string().min(1).optional(),
};

// No `roots`: the folders file sources must stay inside are the server's (`server.ingestRoots`), never
// the caller's; a body naming them is refused.
const ingestBody = z.strictObject(
  {
    ...ingestOptionsSchema.omit({ roots: true }).shape,
    // Left unset when not given: the client then picks a default that suits the chunk size.
    overlap: z.number().int().min(0).optional(),
    /** Files, folders, globs (on the ingestion workers' machines, inside the server's roots) or http(s) URLs. */
    sources: z.array(z.string().min(1)).min(1),
  },
  {
    error: (issue) =>
      issue.code === 'unrecognized_keys' && issue.keys.includes('roots')
        ? 'roots cannot be set by a request: file sources stay inside the folders the server is configured with (server.ingestRoots)'
        : undefined,
  },
);
const searchBody = z.object({ query: z.string().min(1), ...searchFields }).strict();
const askBody = z
  .object({
    question: z.string().min(1),
    ...searchFields,
    providers: z.array(z.string().min(1)).min(1).optional(),
    model: z.string().min(1).optional(),
    maxTokens: z.number().int().positive().optional(),
  })
  .strict();

/**
 * The knowledge base: ingestion batches (queued, followed by progress), search and answers with sources.
 * `roots`: the folders file sources must stay inside; one outside is refused before it is listed.
 */
export function knowledgeRoutes(routes: RouteTable, client: AtlasClient, roots: readonly string[]): void {
  const tag = 'knowledge';
  routes.add({
    method: 'POST',
    url: '/v1/knowledge/batches',
    summary: 'Submit an ingestion batch (one job per document under one parent); answers at once (202).',
    tag,
    body: ingestBody,
    responses: {
      202: '{ batchId, total, unsupported }',
      400: 'A field is wrong, a source is outside the allowed folders, or no supported document',
    },
    handler: async ({ body, reply }) => {
      const { sources, ...options } = body;
      const batch = await client.knowledge.ingest(
        sources,
        { ...options, roots: [...roots] },
        { sourcesInsideRoots: true },
      );
      reply.code(202);
      return batch;
    },
  });
  routes.add({
    method: 'GET',
    url: '/v1/knowledge/batches/:id',
    summary: "A batch's progress: documents done of total.",
    tag,
    responses: { 200: '{ done, total }', 404: 'Unknown or expired batch' },
    handler: ({ params }) => knownBatch(params['id']!, () => client.knowledge.progress(params['id']!)),
  });
  routes.add({
    method: 'GET',
    url: '/v1/knowledge/batches/:id/summary',
    summary: "Waits for a batch's summary: documents added, updated, skipped, deleted and failed.",
    tag,
    responses: { 404: 'Unknown or expired batch' },
    handler: ({ params }) => knownBatch(params['id']!, () => client.knowledge.wait(params['id']!)),
  });
  routes.add({
    method: 'POST',
    url: '/v1/knowledge/search',
    summary: 'Search a collection: semantic, keyword or hybrid, with metadata and document filters.',
    tag,
    body: searchBody,
    handler: async ({ body }) => {
      const { query, ...request } = body;
      return { hits: await client.knowledge.search(query, request) };
    },
  });
  routes.add({
    method: 'POST',
    url: '/v1/knowledge/ask',
    summary: 'Answer a question from a collection through the queue, citing the chunks used.',
    tag,
    body: askBody,
    handler: async ({ body }) => {
      const { question, ...request } = body;
      return client.knowledge.ask(question, request);
    },
  });
  routes.add({
    method: 'GET',
    url: '/v1/knowledge/collections/:collection/documents',
    summary: "A collection's documents: id, source, content hash, version, chunks.",
    tag,
    handler: async ({ params }) => ({
      documents: await client.knowledge.documents.list(params['collection']!),
    }),
  });
}

/** An unknown batch id is a 404, as for every other unknown id of the API. */
async function knownBatch<T>(id: string, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    if (error instanceof ValidationError && error.field === 'batchId') throw notFound('ingestion batch', id);
    throw error;
  }
}
