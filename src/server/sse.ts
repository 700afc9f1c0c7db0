import type { FastifyReply, FastifyRequest } from 'fastify';

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

/** Where a resumed stream starts: the Last-Event-ID header, else an `after` query value. */
export function resumeFrom(request: FastifyRequest, after: string | undefined): string | undefined {
  const header = request.headers['last-event-id'];
  const value = Array.isArray(header) ? header[0] : header;
  return value?.trim() || after;
}
