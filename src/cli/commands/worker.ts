import type { Command } from 'commander';
import { ValidationError } from '../../shared/errors.js';
import { startWorkers } from '../../workers/start-workers.js';
import { flattenList } from '../list-option.js';
import { openRuntime } from '../runtime.js';

export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description('serve provider instances: run generation workers until stopped (Ctrl-C, SIGTERM)')
    .option('--providers <names...>', 'instances to serve (spaces or commas) [default: every configured one]')
    .option('--concurrency <n>', 'jobs at once per instance', '10')
    .action(async (options: { providers?: string[]; concurrency: string }) => {
      const concurrency = Number(options.concurrency);
      if (!Number.isInteger(concurrency) || concurrency <= 0) {
        throw new ValidationError(
          '--concurrency',
          `expected a positive whole number, got '${options.concurrency}'`,
        );
      }
      const runtime = await openRuntime({ startRedisIfMissing: false, logLevel: 'info' });
      const providers = flattenList(options.providers);
      const fleet = await startWorkers({
        settings: runtime.settings,
        ...(providers ? { providers } : {}),
        concurrency,
        log: runtime.log,
      });
      console.error(
        `atlas worker ${fleet.workerId}: serving ${fleet.instances.join(', ')} (concurrency ${concurrency})`,
      );
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      console.error('atlas worker: finishing running jobs…');
      await fleet.close();
      await runtime.close();
    });
}
