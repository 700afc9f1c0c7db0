import type { Command } from 'commander';
import { AtlasClient } from '../../producer/atlas-client.js';
import { type Settings, type StrategyName, strategyNames } from '../../shared/config/settings.js';
import { ValidationError } from '../../shared/errors.js';
import { readFleetHealth } from '../../shared/fleet-health.js';
import type { GenerationRequest } from '../../shared/jobs.js';
import { createKeys } from '../../shared/keys.js';
import type { Logger } from '../../shared/log.js';
import { parseCapabilities } from '../../shared/providers/capabilities.js';
import { createRedis } from '../../shared/redis.js';
import { startWorkers, type WorkerFleet } from '../../workers/generation/start-workers.js';
import { flattenList } from '../list-option.js';
import { printJson } from '../output.js';
import { openRuntime } from '../runtime.js';

interface QueryOptions {
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

export function registerQueryCommand(program: Command): void {
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
    .action((options: QueryOptions) => runQuery(options));
}

export function requestFromOptions(options: QueryOptions): GenerationRequest {
  const strategy = options.providerStrategy;
  if (strategy !== undefined && !(strategyNames as readonly string[]).includes(strategy)) {
    throw new ValidationError(
      '--provider-strategy',
      `expected one of ${strategyNames.join(', ')}, got '${strategy}'`,
    );
  }
  const capabilities = flattenList(options.capabilities);
  const providers = flattenList(options.providers);
  return {
    prompt: options.query,
    ...(options.system ? { system: options.system } : {}),
    ...(providers ? { providers } : {}),
    ...(strategy ? { strategy: strategy as StrategyName } : {}),
    ...(options.model ? { model: options.model } : {}),
    ...(options.taskType ? { taskType: options.taskType } : {}),
    ...(capabilities ? { capabilities: parseCapabilities(capabilities) } : {}),
    ...(options.maxTokens ? { maxTokens: integerOption('--max-tokens', options.maxTokens) } : {}),
    ...(options.timeout ? { deadlineMs: integerOption('--timeout', options.timeout) } : {}),
    ...(options.stream ? { stream: true } : {}),
  };
}

function integerOption(flag: string, value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number <= 0)
    throw new ValidationError(flag, `expected a positive whole number, got '${value}'`);
  return number;
}

async function runQuery(options: QueryOptions): Promise<void> {
  const request = requestFromOptions(options);
  const runtime = await openRuntime({ startRedisIfMissing: true });
  const client = new AtlasClient({ settings: runtime.settings });
  let fleet: WorkerFleet | undefined;
  try {
    const plan = await client.plan(request);
    if (options.plan) {
      if (options.json) printJson(plan);
      else
        for (const [index, step] of plan.entries())
          console.log(`${index + 1}. ${step.instance} (${step.model})`);
      return;
    }
    fleet = await workersIfNoneServe(
      runtime.settings,
      plan.map((step) => step.instance),
      runtime.log,
    );
    if (options.stream) {
      for await (const event of client.stream(request)) {
        if (options.json) console.log(JSON.stringify(event));
        else if (event.type === 'text-delta') process.stdout.write(event.data.text);
        else if (event.type === 'reset') process.stdout.write('\n[provider changed; starting over]\n');
        else if (event.type === 'failed') throw new Error(event.data.error.message);
      }
      if (!options.json) process.stdout.write('\n');
      return;
    }
    if (options.knowledge) {
      const { prompt: _prompt, ...generation } = request;
      const answer = await client.ask(options.query, { ...generation, collection: options.knowledge });
      if (options.json) return printJson(answer);
      console.log(answer.text);
      for (const [index, hit] of answer.citations.entries()) {
        console.error(`[${index + 1}] ${hit.metadata['source'] ?? hit.documentId} #${hit.chunkIndex}`);
      }
      return;
    }
    const result = await client.generate(request);
    if (options.json) printJson(result);
    else {
      console.log(result.text);
      console.error(
        `— ${result.provider} (${result.model}), ${result.usage.inputTokens}+${result.usage.outputTokens} tokens, $${result.costUsd.toFixed(6)}, ${result.latencyMs} ms${result.hops.length > 1 ? `, after ${result.hops.length - 1} failover(s)` : ''}`,
      );
    }
  } finally {
    await client.close();
    await fleet?.close();
    await runtime.close();
  }
}

/** With no live worker for any instance of the plan, the command serves its own request in-process. */
export async function workersIfNoneServe(
  settings: Settings,
  instances: string[],
  log: Logger,
): Promise<WorkerFleet | undefined> {
  const redis = createRedis(settings.redis.url);
  try {
    const health = await readFleetHealth(redis, createKeys(settings.redis.prefix), instances);
    if (health.some((instance) => instance.liveWorkers > 0)) return undefined;
  } finally {
    redis.disconnect();
  }
  console.error(`atlas: no worker serves ${instances.join(', ')}; running workers in this process`);
  return startWorkers({ settings, providers: [...new Set(instances)], log, sweep: false });
}
