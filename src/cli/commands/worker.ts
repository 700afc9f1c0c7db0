import type { Command } from 'commander';
import type { Subsystem } from '../../workers/worker-host.js';
import { flattenList } from '../list-option.js';
import { wholeNumberOption } from '../numbers.js';
import { stopRequested } from '../stop-requested.js';

/** Jobs one process runs at once per instance: more would only queue inside the process. */
const maxConcurrency = 10_000;

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
      const concurrency = wholeNumberOption('--concurrency', options.concurrency, {
        max: maxConcurrency,
      });
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
      const reason = await stopRequested();
      if ('error' in reason) {
        log.fatal({ err: reason.error }, 'unexpected error; stopping the worker');
        console.error(`atlas worker: stopping after an unexpected error: ${messageOf(reason.error)}`);
      }
      // A second signal while running jobs finish means: now.
      const now = () => process.exit('signal' in reason && reason.signal === 'SIGINT' ? 130 : 143);
      process.once('SIGINT', now);
      process.once('SIGTERM', now);
      // One line per shutdown: what was given up on, or that nothing was.
      const report = await host.close();
      console.error(`atlas worker: ${report.message ?? 'stopped; every running job finished'}`);
      await runtime.close();
      // Whatever was given up on may still hold timers or sockets; the process is done.
      process.exit(report.clean && !('error' in reason) ? 0 : 1);
    });
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
