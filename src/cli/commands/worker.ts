import type { Command } from 'commander';
import { ValidationError } from '../../shared/errors.js';
import type { Subsystem } from '../../workers/worker-host.js';
import { flattenList } from '../list-option.js';

interface WorkerOptions {
  providers?: string[];
  concurrency: string;
  ingest?: boolean;
  agent?: boolean;
}

export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description(
      'run workers until stopped (Ctrl-C, SIGTERM): generation for --providers, ingestion for --ingest, ' +
        'agent steps for --agent; with none of them, generation for every configured instance',
    )
    .option('--providers <names...>', 'serve generation for these instances (spaces or commas)')
    .option('--concurrency <n>', 'generation jobs at once per instance', '10')
    .option('--ingest', 'serve ingestion (documents and batches); alone, no generation workers')
    .option('--agent', 'serve agent steps: the built-in workflows and tools, and those of agents.modules')
    .action(async (options: WorkerOptions) => {
      const concurrency = Number(options.concurrency);
      if (!Number.isInteger(concurrency) || concurrency <= 0) {
        throw new ValidationError(
          '--concurrency',
          `expected a positive whole number, got '${options.concurrency}'`,
        );
      }
      // Loaded here, not at start-up: `atlas --help` loads no BullMQ, Redis client or SDK.
      const { openRuntime } = await import('../runtime.js');
      const { generationInstances, generationSubsystem } = await import(
        '../../workers/generation/generation-subsystem.js'
      );
      const { ingestionSubsystem } = await import('../../workers/ingestion/ingestion-subsystem.js');
      const { createAgentSubsystem } = await import('../../workers/agents/start-agent-workers.js');
      const { startWorkerHost } = await import('../../workers/worker-host.js');
      const runtime = await openRuntime({ startRedisIfMissing: false, logLevel: 'info' });
      const { settings, log } = runtime;
      const named = flattenList(options.providers);
      const subsystems: Subsystem[] = [];
      const serving: string[] = [];
      if (named || (!options.ingest && !options.agent)) {
        const instances = generationInstances(settings, named);
        subsystems.push(generationSubsystem({ instances, concurrency }));
        serving.push(`${instances.join(', ')} (concurrency ${concurrency})`);
      }
      if (options.ingest) {
        subsystems.push(ingestionSubsystem());
        serving.push('ingestion');
      }
      if (options.agent) {
        subsystems.push(createAgentSubsystem());
        serving.push('agent steps');
      }
      const host = await startWorkerHost({ settings, log, subsystems });
      console.error(`atlas worker ${host.workerId}: serving ${serving.join(' and ')}`);
      const signal = await new Promise<NodeJS.Signals>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      // A second signal while running jobs finish means: now.
      const now = () => process.exit(signal === 'SIGINT' ? 130 : 143);
      process.once('SIGINT', now);
      process.once('SIGTERM', now);
      // One line per shutdown: what was given up on, or that nothing was.
      const report = await host.close();
      console.error(`atlas worker: ${report.message ?? 'stopped; every running job finished'}`);
      await runtime.close();
      // Whatever was given up on may still hold timers or sockets; the process is done.
      process.exit(report.clean ? 0 : 1);
    });
}
