import type { Command } from 'commander';
import { strategyNames } from '../../shared/config/strategy-names.js';
import type { CliContext } from '../context.js';

export interface QueryOptions {
  query: string;
  system?: string;
  providers?: string[];
  providerStrategy?: string;
  model?: string;
  taskType?: string;
  capabilities?: string[];
  maxTokens?: string;
  stream?: boolean;
  json?: boolean;
  timeout?: string;
  plan?: boolean;
  knowledge?: string;
}

export function registerQueryCommand(program: Command, context: CliContext): void {
  program
    .command('query')
    .description('send one generation request through the queue and print the answer')
    .requiredOption('-q, --query <text>', 'the prompt')
    .option('--system <text>', 'system prompt')
    .option('--providers <names...>', 'provider instances to route over, in order (spaces or commas)')
    .option('--provider-strategy <strategy>', `one of ${strategyNames.join(', ')}`)
    .option('--model <model>', 'model to use where the instance serves it')
    .option('--task-type <type>', 'task type for task_aware routing (e.g. code_generation)')
    .option('--capabilities <list...>', 'required capabilities, e.g. code:strong reasoning:moderate')
    .option('--max-tokens <n>', 'most tokens to generate')
    .option('--stream', 'print the answer as it arrives')
    .option('--json', 'print the result as JSON')
    .option('--timeout <ms>', 'deadline of the request in milliseconds')
    .option('--plan', 'print the routing plan and stop')
    .option('--knowledge <collection>', 'answer from this collection, citing the chunks used')
    .action(async (options: QueryOptions) => (await import('./query-action.js')).runQuery(options, context));
}
