import type { Command } from 'commander';
import type { CliContext } from '../context.js';

export function registerProvidersCommand(program: Command, context: CliContext): void {
  program
    .command('providers')
    .description('list the configured provider instances')
    .option('--json', 'print as JSON')
    .action(async (options: { json?: boolean }) =>
      (await import('./providers-action.js')).listProviders(options, context),
    );
}

export function registerModelsCommand(program: Command, context: CliContext): void {
  program
    .command('models')
    .description('list the model catalogue: capabilities, prices (with their date), context windows')
    .option('--provider <name>', 'only the models of this instance')
    .option('--json', 'print as JSON')
    .action(async (options: { provider?: string; json?: boolean }) =>
      (await import('./providers-action.js')).listModels(options, context),
    );
}
