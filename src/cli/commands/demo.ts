import type { Command } from 'commander';
import type { CliContext } from '../context.js';

export function registerDemoCommand(program: Command, context: CliContext): void {
  program
    .command('demo')
    .description('show Atlas working on mock providers and a local Redis; needs no keys or settings')
    .action(async () => (await import('./demo-action.js')).runDemo(context));
}
