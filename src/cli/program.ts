import { Command, CommanderError } from 'commander';
import { scrub } from '../shared/secrets.js';
import { registerChatCommand } from './commands/chat.js';
import { registerDemoCommand } from './commands/demo.js';
import { registerDoctorCommand } from './commands/doctor.js';
import { registerKnowledgeCommands } from './commands/knowledge.js';
import { registerModelsCommand, registerProvidersCommand } from './commands/providers.js';
import { registerQueryCommand } from './commands/query.js';
import { registerServeCommand } from './commands/serve.js';
import { registerStatusCommand } from './commands/status.js';
import { registerWorkerCommand } from './commands/worker.js';
import { registerWorkflowCommands } from './commands/workflow.js';
import { type CliContext, processContext } from './context.js';

/**
 * The `atlas` program. Commands are registered with their options only: each loads its implementation
 * (and with it BullMQ, Redis, stores, SDKs) when it runs, so `atlas --help` loads none of them.
 * Commander never exits the process itself: `runCli` turns its outcome into an exit code.
 */
export function buildProgram(context: CliContext = processContext()): Command {
  const program = new Command('atlas')
    .description('Distributed job queue for LLM work: generation across providers with failover, on Redis.')
    .option('--verbose', 'show stack traces of errors')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => context.write(text),
      writeErr: (text) => context.warn(text.replace(/\n$/, '')),
    })
    .showHelpAfterError('(run with --help for usage)');
  registerQueryCommand(program, context);
  registerWorkerCommand(program);
  registerStatusCommand(program, context);
  registerDoctorCommand(program, context);
  registerProvidersCommand(program, context);
  registerModelsCommand(program, context);
  registerKnowledgeCommands(program, context);
  registerChatCommand(program, context);
  registerDemoCommand(program, context);
  registerWorkflowCommands(program, context);
  registerServeCommand(program, context);
  return program;
}

/**
 * Runs the CLI and resolves to its exit code; errors become one readable line (stack traces only with
 * --verbose). It never calls process.exit, so it can run inside another process.
 */
export async function runCli(argv: string[], given: CliContext = processContext()): Promise<number> {
  const context = scrubbedContext(given);
  const program = buildProgram(context);
  try {
    await program.parseAsync(argv);
    return given.exitCode ?? 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    const { isAtlasError } = await import('../shared/errors.js');
    const message = error instanceof Error ? error.message : String(error);
    context.warn(`atlas: ${isAtlasError(error) ? `${message} [${error.kind}]` : message}`);
    if (argv.includes('--verbose') && error instanceof Error && error.stack) context.warn(error.stack);
    return isAtlasError(error) && error.kind === 'invalid_request' ? 2 : 1;
  }
}

/** The context with everything written through it scrubbed of registered secrets (an echoed API key). */
function scrubbedContext(context: CliContext): CliContext {
  return {
    ...context,
    print: (line) => context.print(line === undefined ? undefined : scrub(line)),
    write: (text) => context.write(scrub(text)),
    warn: (line) => context.warn(scrub(line)),
    get exitCode() {
      return context.exitCode;
    },
    set exitCode(code) {
      context.exitCode = code;
    },
  };
}
