import type { Command } from 'commander';
import { ValidationError } from '../../shared/errors.js';
import { flattenList } from '../list-option.js';

export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description('serve provider instances: run generation workers until stopped (Ctrl-C, SIGTERM)')
    .option('--providers <names...>', 'instances to serve (spaces or commas) [default: every configured one]')
    .option('--concurrency <n>', 'jobs at once per instance', '10')
    .option('--ingest', 'also run ingestion workers (documents and batches)')
    .action(async (options: { providers?: string[]; concurrency: string; ingest?: boolean }) => {
      const concurrency = Number(options.concurrency);
      if (!Number.isInteger(concurrency) || concurrency <= 0) {
        throw new ValidationError(
          '--concurrency',
          `expected a positive whole number, got '${options.concurrency}'`,
        );
      }
      // Loaded here, not at start-up: `atlas --help` loads no BullMQ, Redis client or SDK.
      const { openRuntime } = await import('../runtime.js');
      const { startWorkers } = await import('../../workers/generation/start-workers.js');
      const { startIngestionWorkers } = await import('../../workers/ingestion/start-ingestion-workers.js');
      const runtime = await openRuntime({ startRedisIfMissing: false, logLevel: 'info' });
      const providers = flattenList(options.providers);
      const fleet = await startWorkers({
        settings: runtime.settings,
        ...(providers ? { providers } : {}),
        concurrency,
        log: runtime.log,
      });
      const ingestion = options.ingest
        ? await startIngestionWorkers({ settings: runtime.settings, log: runtime.log })
        : undefined;
      console.error(
        `atlas worker ${fleet.workerId}: serving ${fleet.instances.join(', ')} (concurrency ${concurrency})${ingestion ? ' and ingestion' : ''}`,
      );
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      console.error('atlas worker: finishing running jobs…');
      await fleet.close();
      await ingestion?.close();
      await runtime.close();
    });
}
