import type { Command } from 'commander';
import { strategyNames } from '../../shared/config/strategy-names.js';
import type { CliContext } from '../context.js';

export interface ChatOptions {
  providers?: string[];
  providerStrategy?: string;
  system?: string;
  knowledge?: string;
  maxTokens?: string;
}

export function registerChatCommand(program: Command, context: CliContext): void {
  program
    .command('chat')
    .description(
      'talk with the provider group in the terminal: answers stream in, the conversation is kept; ' +
        '/providers, /strategy, /plan, /knowledge, /clear, /exit; Ctrl-C cancels an answer, twice exits',
    )
    .option('--providers <names...>', 'provider instances to route over, in order (spaces or commas)')
    .option('--provider-strategy <strategy>', `one of ${strategyNames.join(', ')}`)
    .option('--system <text>', 'system prompt')
    .option('--knowledge <collection>', 'answer from this collection, citing the chunks used')
    .option('--max-tokens <n>', 'most tokens per answer')
    .action(async (options: ChatOptions) => (await import('./chat-action.js')).runChat(options, context));
}
