import type { Command } from 'commander';
import { readFleetStatus } from '../../shared/fleet-status.js';
import { createKeys } from '../../shared/keys.js';
import { createRedis } from '../../shared/redis.js';
import { GenerationQueues } from '../../shared/requests/generation-queues.js';
import { printJson, printTable } from '../output.js';
import { openRuntime } from '../runtime.js';

export function registerStatusCommand(program: Command): void {
  program
    .command('status')
    .description('queues, live workers and circuit breakers of every provider instance, and Redis warnings')
    .option('--json', 'print as JSON')
    .action(async (options: { json?: boolean }) => {
      const runtime = await openRuntime({ startRedisIfMissing: false });
      const redis = createRedis(runtime.settings.redis.url);
      const keys = createKeys(runtime.settings.redis.prefix);
      const queues = new GenerationQueues(redis, keys, runtime.settings.workers);
      try {
        const status = await readFleetStatus(redis, keys, queues, runtime.settings);
        if (options.json) return printJson(status);
        console.log(
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
        );
        for (const warning of status.warnings) console.log(`warning: ${warning}`);
      } finally {
        await queues.close();
        redis.disconnect();
        await runtime.close();
      }
    });
}
