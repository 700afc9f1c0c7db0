import * as z from 'zod';
import type { AtlasClient } from '../../producer/atlas-client.js';
import { notFound } from '../http-error.js';
import type { RouteTable } from '../route-table.js';
import { eventsQuery, resumeFrom, sendEvents, waitQuery } from '../sse.js';

const runStatuses = ['running', 'waiting', 'completed', 'failed', 'cancelled'] as const;

const startBody = z
  .object({
    input: z.record(z.string(), z.unknown()).default({}),
    version: z.union([z.string().min(1), z.number().int().nonnegative()]).optional(),
    deadlineMs: z.number().int().positive().optional(),
    budgets: z
      .object({
        maxTokens: z.number().int().positive().optional(),
        maxCostUsd: z.number().positive().optional(),
      })
      .strict()
      .optional(),
  })
  .strict();
const listQuery = z
  .object({
    status: z.enum(runStatuses).optional(),
    limit: z.coerce.number().int().positive().max(500).optional(),
  })
  .strict();
const signalBody = z.object({ data: z.unknown() }).strict();
const replayBody = z.object({ fromStep: z.number().int().nonnegative() }).strict();

/** Workflow runs: start by name, list, inspect with the step timeline, follow (SSE, resumable), signal, cancel, replay. */
export function workflowRoutes(routes: RouteTable, client: AtlasClient): void {
  const tag = 'workflows';
  const workflows = client.workflows;
  const known = async (id: string) => {
    const run = await workflows.get(id);
    if (!run) throw notFound('run', id);
    return run;
  };

  routes.add({
    method: 'GET',
    url: '/v1/workflows',
    summary: 'Every workflow name@version live agent workers serve, with the input fields each requires.',
    tag,
    handler: async () => ({ workflows: await workflows.served() }),
  });

  routes.add({
    method: 'POST',
    url: '/v1/workflows/:name/runs',
    summary:
      'Start a run of a workflow live agent workers serve; answers with its id at once (202). An unknown name, version or missing input field is a 400 naming it.',
    tag,
    body: startBody,
    responses: { 202: 'Accepted: { id, workflow, version }', 400: 'A field is wrong (named in `param`)' },
    handler: async ({ params, body, reply }) => {
      const started = await workflows.start(params['name']!, body.input, {
        ...(body.version === undefined ? {} : { version: String(body.version) }),
        ...(body.deadlineMs === undefined ? {} : { deadlineMs: body.deadlineMs }),
        ...(body.budgets ? { budgets: stripUndefined(body.budgets) } : {}),
      });
      reply.code(202);
      return started;
    },
  });

  routes.add({
    method: 'GET',
    url: '/v1/runs',
    summary: 'Runs, newest first, without their history: `status` filters, `limit` caps (default 50).',
    tag,
    query: listQuery,
    handler: async ({ query }) => ({
      runs: await workflows.list({
        ...(query.status ? { status: query.status } : {}),
        ...(query.limit ? { limit: query.limit } : {}),
      }),
    }),
  });

  routes.add({
    method: 'GET',
    url: '/v1/runs/:id',
    summary:
      'A run: status, state, the node it is at, usage, result or error, and its step timeline (node, provider, model, tokens, cost, ms).',
    tag,
    responses: { 200: 'The run', 404: 'Unknown or expired' },
    handler: ({ params }) => known(params['id']!),
  });

  routes.add({
    method: 'GET',
    url: '/v1/runs/:id/result',
    summary: 'Waits for a run to end (or `timeoutMs`) and answers with it.',
    tag,
    query: waitQuery,
    responses: { 200: 'The ended run', 404: 'Unknown or expired', 504: 'Timed out' },
    handler: async ({ params, query }) => {
      const id = params['id']!;
      await known(id);
      return workflows.wait(id, query.timeoutMs === undefined ? {} : { timeoutMs: query.timeoutMs });
    },
  });

  routes.add({
    method: 'GET',
    url: '/v1/runs/:id/events',
    summary:
      "A run's events (run-started, step-start, text-delta, tool-call, step-finish, signal, run-finished) as Server-Sent Events until it ends; resumable with Last-Event-ID (or ?after=), each event exactly once.",
    tag,
    query: eventsQuery,
    produces: 'text/event-stream',
    responses: { 200: 'The event stream', 404: 'Unknown or expired' },
    handler: async ({ params, query, request, reply }) => {
      const id = params['id']!;
      const after = resumeFrom(request, query.after);
      await known(id);
      await sendEvents(request, reply, (signal) =>
        workflows.follow(id, { signal, ...(after ? { after } : {}) }),
      );
    },
  });

  routes.add({
    method: 'POST',
    url: '/v1/runs/:id/signal',
    summary: 'Hands `data` to a run waiting at a human node, and resumes it.',
    tag,
    body: signalBody,
    responses: {
      200: '{ signalled: true }',
      400: 'The run is not waiting for input',
      404: 'Unknown or expired',
    },
    handler: async ({ params, body }) => {
      const id = params['id']!;
      await known(id);
      await workflows.signal(id, body.data);
      return { signalled: true };
    },
  });

  routes.add({
    method: 'POST',
    url: '/v1/runs/:id/cancel',
    summary:
      'Cancels a run, its in-flight generation requests and its sub-runs: { cancelled } says whether this call ended it.',
    tag,
    responses: { 200: '{ cancelled }', 404: 'Unknown or expired' },
    handler: async ({ params }) => {
      const id = params['id']!;
      await known(id);
      return { cancelled: await workflows.cancel(id) };
    },
  });

  routes.add({
    method: 'POST',
    url: '/v1/runs/:id/replay',
    summary:
      'Starts a new run from the checkpoint step `fromStep` of this run started from; the original is left as it is (202).',
    tag,
    body: replayBody,
    responses: { 202: '{ id, workflow, version }', 400: 'No such step', 404: 'Unknown or expired' },
    handler: async ({ params, body, reply }) => {
      const id = params['id']!;
      await known(id);
      const started = await workflows.replay(id, { fromStep: body.fromStep });
      reply.code(202);
      return started;
    },
  });
}

function stripUndefined<T extends object>(value: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as {
    [K in keyof T]: Exclude<T[K], undefined>;
  };
}
