import { Command, CommanderError } from 'commander';
import { isAtlasError } from '../shared/errors.js';
import { registerDemoCommand } from './commands/demo.js';
import { registerKnowledgeCommands } from './commands/knowledge.js';
import { registerModelsCommand, registerProvidersCommand } from './commands/providers.js';
import { registerQueryCommand } from './commands/query.js';
import { registerStatusCommand } from './commands/status.js';
import { registerWorkerCommand } from './commands/worker.js';
import { registerWorkflowCommands } from './commands/workflow.js';

export function buildProgram(): Command {
  const program = new Command('atlas')
    .description('Distributed job queue for LLM work: generation across providers with failover, on Redis.')
    .option('--verbose', 'show stack traces of errors')
    .showHelpAfterError('(run with --help for usage)');
  registerQueryCommand(program);
  registerWorkerCommand(program);
  registerStatusCommand(program);
  registerProvidersCommand(program);
  registerModelsCommand(program);
  registerKnowledgeCommands(program);
  registerDemoCommand(program);
  registerWorkflowCommands(program);
  return program;
}

/** Runs the CLI; errors become one readable line (stack traces only with --verbose) and an exit code. */
export async function runCli(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) process.exit(error.exitCode);
    const verbose = argv.includes('--verbose');
    const message = error instanceof Error ? error.message : String(error);
    console.error(`atlas: ${isAtlasError(error) ? `${message} [${error.kind}]` : message}`);
    if (verbose && error instanceof Error && error.stack) console.error(error.stack);
    process.exit(isAtlasError(error) && error.kind === 'invalid_request' ? 2 : 1);
  }
}
