import type { Command } from 'commander';
import type { CliContext } from '../context.js';

/**
 * `atlas workflow …` and `atlas tools`. Only the command definitions live here; each action loads its
 * implementation when it runs, so the CLI starts without the client.
 */
export function registerWorkflowCommands(program: Command, context: CliContext): void {
  const workflow = program
    .command('workflow')
    .description('workflow runs: run, list served workflows, runs, show, signal, cancel, replay');

  workflow
    .command('run')
    .description('start a run and wait for it to end; print its status and result')
    .argument('<name>', 'workflow name (served by a live `atlas worker --agent`)')
    .option('--input <json>', 'the run input, a JSON object', '{}')
    .option('--version <version>', 'workflow version [default: the highest served]')
    .option('--deadline-ms <ms>', 'run deadline in ms')
    .option('--max-tokens <n>', 'token budget of the run')
    .option('--max-cost <usd>', 'cost budget of the run, in USD')
    .option('--follow', 'print each step live: step-start, tool-call, text-delta, step-finish')
    .option('--detach', 'print the run id at once and return')
    .option('--json', 'print as JSON')
    .action(async (name: string, options) =>
      (await import('./workflow-actions.js')).runWorkflow(name, options, context),
    );

  workflow
    .command('list')
    .description('the workflows live agent workers serve, by name and version')
    .option('--json', 'print as JSON')
    .action(async (options) => (await import('./workflow-actions.js')).listWorkflows(options, context));

  workflow
    .command('runs')
    .description('runs, newest first')
    .option('--status <status>', 'running, waiting, completed, failed or cancelled')
    .option('--limit <n>', 'at most this many', '20')
    .option('--json', 'print as JSON')
    .action(async (options) => (await import('./workflow-actions.js')).listRuns(options, context));

  workflow
    .command('show')
    .description('a run: status, state and the step timeline (node, provider, model, tokens, cost, time)')
    .argument('<id>', 'run id')
    .option('--json', 'print as JSON')
    .action(async (id: string, options) =>
      (await import('./workflow-actions.js')).showRun(id, options, context),
    );

  workflow
    .command('signal')
    .description('hand input to a run waiting at a human node')
    .argument('<id>', 'run id')
    .requiredOption('--data <json>', 'the input, JSON')
    .option('--json', 'print as JSON')
    .action(async (id: string, options) =>
      (await import('./workflow-actions.js')).signalRun(id, options, context),
    );

  workflow
    .command('cancel')
    .description('cancel a run and its in-flight generation requests')
    .argument('<id>', 'run id')
    .option('--json', 'print as JSON')
    .action(async (id: string, options) =>
      (await import('./workflow-actions.js')).cancelRun(id, options, context),
    );

  workflow
    .command('replay')
    .description('start a new run from the checkpoint a step of a run started from')
    .argument('<id>', 'run id')
    .requiredOption('--from <step>', 'the step (its number in `atlas workflow show`)')
    .option('--json', 'print as JSON')
    .action(async (id: string, options) =>
      (await import('./workflow-actions.js')).replayRun(id, options, context),
    );

  program
    .command('tools')
    .description('the tools live agent workers serve, with their input schemas')
    .option('--json', 'print as JSON')
    .action(async (options) => (await import('./tools.js')).listTools(options, context));
}
