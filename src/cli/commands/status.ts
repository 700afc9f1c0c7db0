import type { Command } from 'commander';
import type { CliContext } from '../context.js';

export function registerStatusCommand(program: Command, context: CliContext): void {
  program
    .command('status')
    .description('queues, live workers and circuit breakers of every provider instance, and Redis warnings')
    .option('--json', 'print as JSON')
    .action(async (options: { json?: boolean }) =>
      (await import('./status-action.js')).runStatus(options, context),
    );
}
