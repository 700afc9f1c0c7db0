import type { FastifyReply, FastifyRequest } from 'fastify';
import * as z from 'zod';
import { ValidationError } from '../shared/errors.js';

/** A Redis stream entry id: what an event stream's SSE ids are, and where a resumed stream starts. */
const streamId = /^\d+-\d+$/;
const streamIdExpected = 'expected a stream id such as 1718000000000-0';

/** The query of an events route: where to resume, when no Last-Event-ID header says it. */
export const eventsQuery = z
  .object({ after: z.string().regex(streamId, streamIdExpected).optional() })
  .strict();

/** The query of a route that waits for an ending. */
export const waitQuery = z.object({ timeoutMs: z.coerce.number().int().positive().optional() }).strict();

export interface SseWriter {
  /** Aborts when the client goes away. */
  signal: AbortSignal;
  /** Writes one event; `id` is what the client sends back as Last-Event-ID. */
  send(data: string, options?: { id?: string; event?: string }): void;
  end(): void;
}

/** Takes the response over from fastify and opens a Server-Sent Events stream on it. */
export function openSse(request: FastifyRequest, reply: FastifyReply): SseWriter {
  const controller = new AbortController();
  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  raw.flushHeaders();
  request.raw.socket.setNoDelay(true);
  raw.on('close', () => controller.abort());
  // Comments keep proxies from closing an idle stream.
  const keepAlive = setInterval(() => raw.write(': keep-alive\n\n'), 15_000);
  keepAlive.unref();
  controller.signal.addEventListener('abort', () => clearInterval(keepAlive));
  return {
    signal: controller.signal,
    send(data, options = {}) {
      if (raw.writableEnded) return;
      const lines = [
        ...(options.id ? [`id: ${options.id}`] : []),
        ...(options.event ? [`event: ${options.event}`] : []),
        ...data.split('\n').map((line) => `data: ${line}`),
      ];
      raw.write(`${lines.join('\n')}\n\n`);
    },
    end() {
      clearInterval(keepAlive);
      if (!raw.writableEnded) raw.end();
    },
  };
}

/** Where a resumed stream starts: the Last-Event-ID header, else an `after` query value; checked. */
export function resumeFrom(request: FastifyRequest, after: string | undefined): string | undefined {
  const header = request.headers['last-event-id'];
  const value = Array.isArray(header) ? header[0] : header;
  const from = value?.trim() || after;
  if (from !== undefined && !streamId.test(from))
    throw new ValidationError('Last-Event-ID', `${streamIdExpected}, got '${from}'`);
  return from;
}

/**
 * Sends the events `follow` yields as Server-Sent Events, each with its stream id, until they end or
 * the client goes away; a failure is sent as an `error` event.
 */
export async function sendEvents(
  request: FastifyRequest,
  reply: FastifyReply,
  follow: (signal: AbortSignal) => AsyncIterable<{ id: string; type: string }>,
): Promise<void> {
  const sse = openSse(request, reply);
  try {
    for await (const event of follow(sse.signal)) {
      const { id, ...payload } = event;
      sse.send(JSON.stringify(payload), { id, event: event.type });
    }
  } catch (error) {
    if (!sse.signal.aborted)
      sse.send(JSON.stringify({ message: (error as Error).message }), { event: 'error' });
  } finally {
    sse.end();
  }
}
