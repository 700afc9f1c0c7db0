import { AtlasClient } from '../../producer/atlas-client.js';
import type { RunView } from '../../producer/workflows-client.js';
import type { RunStatus, StoredRunEvent } from '../../shared/agents/run-store.js';
import { ValidationError } from '../../shared/errors.js';
import type { CliContext } from '../context.js';
import { printJson, printTable } from '../output.js';
import { openRuntime } from '../runtime.js';

interface JsonOption {
  json?: boolean;
}

/** Runs `body` with a client on the configured Redis, closing both after. */
async function withClient<T>(context: CliContext, body: (client: AtlasClient) => Promise<T>): Promise<T> {
  const runtime = await openRuntime({ startRedisIfMissing: false, context });
  const client = new AtlasClient({ settings: runtime.settings });
  try {
    return await body(client);
  } finally {
    await client.close();
    await runtime.close();
  }
}

function parseJsonFlag(flag: string, value: string): unknown {
  try {
    return JSON.parse(value);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ValidationError(flag, `expected JSON such as '{"task": "…"}' (${reason})`);
  }
}

function number(flag: string, value: string | undefined, whole = true): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < 0 || (whole && !Number.isInteger(parsed))) {
    throw new ValidationError(flag, `expected a ${whole ? 'whole ' : ''}number, got '${value}'`);
  }
  return parsed;
}

const usd = (cost: number) => `$${cost.toFixed(6)}`;
const oneLine = (text: string, max = 160) => {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
};

/** One line per run event, as `--follow` prints them. */
export function describeEvent(event: StoredRunEvent): string {
  const data = (event.data ?? {}) as Record<string, unknown>;
  const branch = data['branch'] !== undefined ? `[${String(data['branch'])}]` : '';
  const where = `${event.node}${branch}`;
  switch (event.type) {
    case 'run-started':
      return `run-started  ${String(data['workflow'])}@${String(data['version'])}`;
    case 'step-start': {
      const what =
        data['kind'] === 'agent'
          ? `agent ${String(data['agent'])} turn ${String(data['turn'])}`
          : data['kind'] === 'map'
            ? `map over ${String(data['items'])} items`
            : data['waiting']
              ? `human: waiting${data['prompt'] ? ` (${String(data['prompt'])})` : ''}`
              : String(data['kind']);
      return `step-start   ${where}  ${what}`;
    }
    case 'tool-call':
      return `tool-call    ${where}  ${String(data['name'])}(${JSON.stringify(data['arguments'])})${data['ok'] ? '' : ` error: ${String(data['error'])}`}`;
    case 'text-delta':
      return `text-delta   ${where}  ${oneLine(String(data['text'] ?? ''))}`;
    case 'step-finish': {
      const tokens = Number(data['inputTokens'] ?? 0) + Number(data['outputTokens'] ?? 0);
      const parts = [
        String(data['kind'] ?? ''),
        tokens ? `${tokens} tokens` : '',
        data['costUsd'] ? usd(Number(data['costUsd'])) : '',
        data['ms'] !== undefined ? `${String(data['ms'])} ms` : '',
      ].filter(Boolean);
      return `step-finish  ${where}  ${parts.join('  ')}`;
    }
    case 'signal':
      return `signal       ${where}  ${JSON.stringify(event.data)}`;
    case 'run-finished':
      return `run-finished ${String(data['status'])}${data['error'] ? `: ${String(data['error'])}` : ''}`;
  }
}

const summary = (run: RunView) => ({
  id: run.id,
  status: run.status,
  state: run.state,
  result: run.result ?? null,
  ...(run.error ? { error: run.error } : {}),
});

export async function runWorkflow(
  name: string,
  options: JsonOption & {
    input: string;
    version?: string;
    deadlineMs?: string;
    maxTokens?: string;
    maxCost?: string;
    follow?: boolean;
    detach?: boolean;
  },
  context: CliContext,
): Promise<void> {
  const input = parseJsonFlag('--input', options.input);
  const deadlineMs = number('--deadline-ms', options.deadlineMs);
  const maxTokens = number('--max-tokens', options.maxTokens);
  const maxCostUsd = number('--max-cost', options.maxCost, false);
  const ok = await withClient(context, async (client) => {
    const started = await client.workflows.start(name, input, {
      ...(options.version ? { version: options.version } : {}),
      ...(deadlineMs ? { deadlineMs } : {}),
      ...(maxTokens || maxCostUsd
        ? { budgets: { ...(maxTokens ? { maxTokens } : {}), ...(maxCostUsd ? { maxCostUsd } : {}) } }
        : {}),
    });
    if (options.detach) {
      if (options.json)
        printJson({ id: started.id, workflow: started.workflow, version: started.version }, context.print);
      else context.print(started.id);
      return true;
    }
    if (options.follow) {
      if (!options.json) context.print(`run ${started.id} (${started.workflow}@${started.version})`);
      for await (const event of client.workflows.follow(started.id)) {
        context.print(
          options.json
            ? JSON.stringify({
                id: event.id,
                type: event.type,
                node: event.node,
                at: event.at,
                data: event.data,
              })
            : describeEvent(event),
        );
      }
    }
    const run = await client.workflows.wait(started.id);
    if (options.json) {
      const line = summary(run);
      if (options.follow) context.print(JSON.stringify(line));
      else printJson(line, context.print);
    } else {
      context.print(`run ${run.id}: ${run.status}${run.error ? `: ${run.error}` : ''}`);
      if (run.result !== undefined) context.print(JSON.stringify(run.result, null, 2));
    }
    return run.status === 'completed';
  });
  if (!ok) context.exitCode = 1;
}

export async function listWorkflows(options: JsonOption, context: CliContext): Promise<void> {
  await withClient(context, async (client) => {
    const served = await client.workflows.served();
    if (options.json) return printJson(served, context.print);
    if (served.length === 0) {
      context.print('no agent worker is running (start one with `atlas worker --agent`)');
      return;
    }
    printTable(
      served.map((entry) => ({
        workflow: entry.name,
        version: entry.version,
        start: entry.start,
        nodes: Object.entries(entry.nodes)
          .map(([node, kind]) => `${node}:${kind}`)
          .join(' '),
        input: entry.required.join(', '),
        workers: entry.workers,
      })),
      context.print,
    );
  });
}

const statuses: readonly RunStatus[] = ['running', 'waiting', 'completed', 'failed', 'cancelled'];

export async function listRuns(
  options: JsonOption & { status?: string; limit: string },
  context: CliContext,
): Promise<void> {
  if (options.status && !statuses.includes(options.status as RunStatus)) {
    throw new ValidationError('--status', `expected one of ${statuses.join(', ')}, got '${options.status}'`);
  }
  const limit = number('--limit', options.limit) ?? 20;
  await withClient(context, async (client) => {
    const runs = await client.workflows.list({
      limit,
      ...(options.status ? { status: options.status as RunStatus } : {}),
    });
    if (options.json) return printJson(runs, context.print);
    printTable(
      runs.map((run) => ({
        id: run.id,
        workflow: `${run.workflow}@${run.version}`,
        status: run.status,
        node: run.node,
        tokens: run.usage.tokens,
        cost: usd(run.usage.costUsd),
        created: new Date(run.createdAt).toISOString(),
      })),
      context.print,
    );
  });
}

export async function showRun(id: string, options: JsonOption, context: CliContext): Promise<void> {
  await withClient(context, async (client) => {
    const run = await client.workflows.get(id);
    if (!run) throw new ValidationError('id', `no run '${id}' (unknown, or expired)`);
    if (options.json) return printJson(run, context.print);
    const total = run.finishedAt ? ` in ${run.finishedAt - run.createdAt} ms` : '';
    context.print(`run ${run.id}  ${run.workflow}@${run.version}  ${run.status}${total}`);
    if (run.node) context.print(`at node: ${run.node}`);
    if (run.error) context.print(`error: ${run.error}`);
    context.print(`usage: ${run.usage.tokens} tokens, ${usd(run.usage.costUsd)}`);
    if (run.replayOf) context.print(`replay of ${run.replayOf.runId} from step ${run.replayOf.step}`);
    context.print('');
    printTable(
      run.history.map((step) => ({
        step: step.index,
        node: `${step.node}${step.branch !== undefined ? `[${step.branch}]` : ''}`,
        kind: step.kind,
        provider: step.provider ?? '-',
        model: step.model ?? '-',
        tokens: step.inputTokens + step.outputTokens,
        cost: usd(step.costUsd),
        ms: step.ms,
        detail: [step.toolCalls?.length ? `tools: ${step.toolCalls.join(', ')}` : '', step.note ?? '']
          .filter(Boolean)
          .join('; '),
      })),
      context.print,
    );
  });
}

export async function signalRun(
  id: string,
  options: JsonOption & { data: string },
  context: CliContext,
): Promise<void> {
  const data = parseJsonFlag('--data', options.data);
  await withClient(context, async (client) => {
    await client.workflows.signal(id, data);
    if (options.json) printJson({ id, signalled: true }, context.print);
    else context.print(`run ${id}: signalled`);
  });
}

export async function cancelRun(id: string, options: JsonOption, context: CliContext): Promise<void> {
  await withClient(context, async (client) => {
    const cancelled = await client.workflows.cancel(id);
    if (options.json) printJson({ id, cancelled }, context.print);
    else context.print(`run ${id}: ${cancelled ? 'cancelled' : 'had already ended'}`);
  });
}

export async function replayRun(
  id: string,
  options: JsonOption & { from: string },
  context: CliContext,
): Promise<void> {
  const fromStep = number('--from', options.from)!;
  await withClient(context, async (client) => {
    const replay = await client.workflows.replay(id, { fromStep });
    if (options.json) printJson({ id: replay.id, replayOf: { runId: id, step: fromStep } }, context.print);
    else context.print(replay.id);
  });
}
