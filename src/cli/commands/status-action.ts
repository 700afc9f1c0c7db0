import { readFleetStatus } from '../../shared/fleet-status.js';
import { createKeys } from '../../shared/keys.js';
import { createRedis } from '../../shared/redis.js';
import { GenerationQueues } from '../../shared/requests/generation-queues.js';
import type { CliContext } from '../context.js';
import { printJson, printTable } from '../output.js';
import { openRuntime } from '../runtime.js';

export async function runStatus(options: { json?: boolean }, context: CliContext): Promise<void> {
  const runtime = await openRuntime({ startRedisIfMissing: false, context });
  const redis = createRedis(runtime.settings.redis);
  const keys = createKeys(runtime.settings.redis.prefix);
  const queues = new GenerationQueues(redis, keys, runtime.settings.workers, { readOnly: true });
  try {
    const status = await readFleetStatus(redis, keys, queues, runtime.settings);
    if (options.json) return printJson(status, context.print);
    context.print(
      `Redis ${status.redis.version} at ${status.redis.url} (prefix ${runtime.settings.redis.prefix})`,
    );
    printTable(
      status.instances.map((instance) => ({
        instance: instance.instance,
        type: instance.type,
        breaker: instance.breaker,
        workers: instance.liveWorkers,
        waiting: instance.waiting,
        active: instance.active,
        delayed: instance.delayed,
        completed: instance.completed,
        failed: instance.failed,
      })),
      context.print,
    );
    for (const warning of status.warnings) context.print(`warning: ${warning}`);
  } finally {
    await queues.close();
    redis.disconnect();
    await runtime.close();
  }
}
