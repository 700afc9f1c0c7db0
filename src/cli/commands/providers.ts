import type { Command } from 'commander';
import type { CliContext } from '../context.js';

export function registerProvidersCommand(program: Command, context: CliContext): void {
  program
    .command('providers')
    .description('list the configured provider instances; --check calls each to see that it answers')
    .option('--check', "call each instance's cheapest endpoint (needs its key); exit 1 if one fails")
    .option('--json', 'print as JSON')
    .action(async (options: { json?: boolean; check?: boolean }) => {
      const actions = await import('./providers-action.js');
      if (options.check) await actions.checkProviders(options, context);
      else actions.listProviders(options, context);
    });
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
