import type { Command } from 'commander';
import type { CliContext } from '../context.js';

export function registerDoctorCommand(program: Command, context: CliContext): void {
  program
    .command('doctor')
    .description(
      'check a deployment (Redis, workers, breakers, stuck requests, the knowledge store) and say what to fix',
    )
    .option('--json', 'print as JSON')
    .action(async (options: { json?: boolean }) =>
      (await import('./doctor-action.js')).runDoctor(options, context),
    );
}
