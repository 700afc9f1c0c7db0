import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import type { ServerContext } from './server-context.js';

/** Bull Board under `/queues`: every generation queue, the ingestion queues and the agent queue. */
export async function mountBullBoard(
  app: FastifyInstance,
  context: ServerContext,
): Promise<() => Promise<void>> {
  const { keys, redis, queues, settings } = context;
  const own = [keys.ingestionQueue, keys.ingestionBatchQueue, keys.agentQueue].map((name) => {
    const queue = new Queue(name, { connection: redis, prefix: keys.bullPrefix });
    // Connection errors reach the callers of each read; unheard, BullMQ prints every one to stderr.
    queue.on('error', () => undefined);
    return queue;
  });
  const generation = Object.keys(settings.providers).map((instance) => queues.get(instance));
  const adapter = new FastifyAdapter();
  adapter.setBasePath('/queues');
  createBullBoard({
    queues: [...generation, ...own].map((queue) => new BullMQAdapter(queue)),
    serverAdapter: adapter,
    options: { uiConfig: { boardTitle: 'Atlas queues' } },
  });
  await app.register(adapter.registerPlugin(), { prefix: '/queues' });
  return async () => {
    await Promise.all(own.map((queue) => queue.close()));
  };
}
