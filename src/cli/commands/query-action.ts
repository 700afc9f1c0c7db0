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
import type { CliContext } from '../context.js';
import { flattenList } from '../list-option.js';
import { printJson } from '../output.js';
import { openRuntime } from '../runtime.js';
import type { QueryOptions } from './query.js';

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

export async function runQuery(options: QueryOptions, context: CliContext): Promise<void> {
  const request = requestFromOptions(options);
  const runtime = await openRuntime({ startRedisIfMissing: true, context });
  const client = new AtlasClient({ settings: runtime.settings });
  let fleet: WorkerFleet | undefined;
  try {
    const plan = await client.plan(request);
    if (options.plan) {
      if (options.json) printJson(plan, context.print);
      else
        for (const [index, step] of plan.entries())
          context.print(`${index + 1}. ${step.instance} (${step.model})`);
      return;
    }
    fleet = await workersIfNoneServe(
      runtime.settings,
      plan.map((step) => step.instance),
      runtime.log,
      context,
    );
    if (options.stream) {
      for await (const event of client.stream(request)) {
        if (options.json) context.print(JSON.stringify(event));
        else if (event.type === 'text-delta') context.write(event.data.text);
        else if (event.type === 'reset') context.write('\n[provider changed; starting over]\n');
        else if (event.type === 'failed') throw new Error(event.data.error.message);
      }
      if (!options.json) context.write('\n');
      return;
    }
    if (options.knowledge) {
      const { prompt: _prompt, ...generation } = request;
      const answer = await client.knowledge.ask(options.query, {
        ...generation,
        collection: options.knowledge,
      });
      if (options.json) return printJson(answer, context.print);
      context.print(answer.text);
      for (const [index, hit] of answer.citations.entries()) {
        context.warn(`[${index + 1}] ${hit.metadata['source'] ?? hit.documentId} #${hit.chunkIndex}`);
      }
      return;
    }
    const result = await client.generate(request);
    if (options.json) printJson(result, context.print);
    else {
      context.print(result.text);
      context.warn(
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
  context: CliContext,
): Promise<WorkerFleet | undefined> {
  const redis = createRedis(settings.redis);
  try {
    const health = await readFleetHealth(redis, createKeys(settings.redis.prefix), instances);
    if (health.some((instance) => instance.liveWorkers > 0)) return undefined;
  } finally {
    redis.disconnect();
  }
  context.warn(`atlas: no worker serves ${instances.join(', ')}; running workers in this process`);
  return startWorkers({ settings, providers: [...new Set(instances)], log, sweep: false });
}
