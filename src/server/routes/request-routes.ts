import type { AtlasClient } from '../../producer/atlas-client.js';
import { generationRequestSchema } from '../../shared/jobs.js';
import { notFound } from '../http-error.js';
import type { RouteTable } from '../route-table.js';
import { eventsQuery, resumeFrom, sendEvents, waitQuery } from '../sse.js';

/** Generation requests: submit, inspect, wait for, follow (SSE, resumable) and cancel. */
export function requestRoutes(routes: RouteTable, client: AtlasClient): void {
  const tag = 'requests';
  const known = async (id: string) => {
    const state = await client.get(id);
    if (!state) throw notFound('request', id);
    return state;
  };

  routes.add({
    method: 'POST',
    url: '/v1/requests',
    summary: 'Submit a generation request; answers with its id at once (202).',
    tag,
    body: generationRequestSchema,
    responses: { 202: 'Accepted: { requestId }', 400: 'A field is wrong (named in `param`)' },
    handler: async ({ body, reply }) => {
      const requestId = await client.submit(body);
      reply.code(202);
      return { requestId };
    },
  });

  routes.add({
    method: 'GET',
    url: '/v1/requests/:id',
    summary: 'Where a request is: status, plan, attempts, result or error.',
    tag,
    responses: { 200: 'The request state', 404: 'Unknown or expired' },
    handler: async ({ params }) => known(params['id']!),
  });

  routes.add({
    method: 'GET',
    url: '/v1/requests/:id/result',
    summary: "Waits for a request's result (never past its deadline, or `timeoutMs`).",
    tag,
    query: waitQuery,
    responses: {
      200: 'The result',
      404: 'Unknown or expired',
      503: 'Failed on every instance',
      504: 'Timed out',
    },
    handler: async ({ params, query }) => {
      const id = params['id']!;
      await known(id);
      return client.wait(id, query.timeoutMs === undefined ? {} : { timeoutMs: query.timeoutMs });
    },
  });

  routes.add({
    method: 'GET',
    url: '/v1/requests/:id/events',
    summary:
      "A request's events as Server-Sent Events until it ends; each carries its stream id, so a client reconnecting with Last-Event-ID (or ?after=) gets the rest exactly once.",
    tag,
    query: eventsQuery,
    produces: 'text/event-stream',
    responses: { 200: 'The event stream', 404: 'Unknown or expired' },
    handler: async ({ params, query, request, reply }) => {
      const id = params['id']!;
      const after = resumeFrom(request, query.after);
      await known(id);
      await sendEvents(request, reply, (signal) =>
        client.stream({ requestId: id }, { signal, ...(after ? { after } : {}) }),
      );
    },
  });

  routes.add({
    method: 'POST',
    url: '/v1/requests/:id/cancel',
    summary: 'Cancels a request that has not ended: { cancelled } says whether this call ended it.',
    tag,
    responses: { 200: '{ cancelled }', 404: 'Unknown or expired' },
    handler: async ({ params }) => {
      const id = params['id']!;
      await known(id);
      return { cancelled: await client.cancel(id) };
    },
  });

  routes.add({
    method: 'POST',
    url: '/v1/plan',
    summary: 'The routing plan a request would get now, without enqueueing it.',
    tag,
    body: generationRequestSchema,
    handler: async ({ body }) => ({ plan: await client.plan(body) }),
  });
}
