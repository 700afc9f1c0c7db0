import { AtlasClient } from '../../producer/atlas-client.js';
import { type Settings, type StrategyName, strategyNames } from '../../shared/config/settings.js';
import { maxTimerMs } from '../../shared/config/timer.js';
import { AtlasError, ValidationError } from '../../shared/errors.js';
import { readFleetHealth } from '../../shared/fleet-health.js';
import type { GenerationRequest } from '../../shared/jobs.js';
import { createKeys } from '../../shared/keys.js';
import type { SearchHit } from '../../shared/knowledge/vector-store.js';
import type { Logger } from '../../shared/log.js';
import { parseCapabilities } from '../../shared/providers/capabilities.js';
import { createRedis, isConnectionError, redactRedisUrl } from '../../shared/redis.js';
import { within } from '../../shared/within.js';
import type { WorkerFleet } from '../../workers/generation/start-workers.js';
import type { CliContext } from '../context.js';
import { flattenList } from '../list-option.js';
import { wholeNumberOption } from '../numbers.js';
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
    ...(options.maxTokens ? { maxTokens: wholeNumberOption('--max-tokens', options.maxTokens) } : {}),
    ...(options.timeout
      ? { deadlineMs: wholeNumberOption('--timeout', options.timeout, { max: maxTimerMs }) }
      : {}),
    ...(options.stream ? { stream: true } : {}),
  };
}

export async function runQuery(options: QueryOptions, context: CliContext): Promise<void> {
  const request = requestFromOptions(options);
  const runtime = await openRuntime({ startRedisIfMissing: true, context });
  const client = new AtlasClient({ settings: runtime.settings });
  let fleet: WorkerFleet | undefined;
  // Redis lost mid-query: the command ends at once with one line rather than wait on it.
  const outage = watchRedis(runtime.settings.redis.url);
  let lost = false;
  try {
    const answering = answer(options, request, context, runtime, client, (started) => {
      fleet = started;
    });
    // Whichever loses the race may still fail later, with nobody left to hear it.
    answering.catch(() => undefined);
    await Promise.race([
      answering,
      outage.lost.then(() => {
        lost = true;
        throw new AtlasError(
          'unavailable',
          `Redis unreachable at ${redactRedisUrl(runtime.settings.redis.url)}; stopped waiting for the answer`,
        );
      }),
    ]);
  } finally {
    outage.stop();
    // With Redis gone, closing cannot be clean: each step gets a moment, then the command moves on.
    const bound = lost ? 1_000 : Number.POSITIVE_INFINITY;
    await within(client.close(), bound);
    await within(fleet?.close() ?? Promise.resolve(), bound);
    await within(runtime.close(), bound);
  }
}

async function answer(
  options: QueryOptions,
  request: GenerationRequest,
  context: CliContext,
  runtime: Awaited<ReturnType<typeof openRuntime>>,
  client: AtlasClient,
  started: (fleet: WorkerFleet | undefined) => void,
): Promise<void> {
  const plan = await client.plan(request);
  if (options.plan) {
    if (options.json) printJson(plan, context.print);
    else
      for (const [index, step] of plan.entries())
        context.print(`${index + 1}. ${step.instance} (${step.model})`);
    return;
  }
  started(
    await workersIfNoneServe(
      runtime.settings,
      plan.map((step) => step.instance),
      runtime.log,
      context,
    ),
  );
  if (options.knowledge) {
    const { prompt: _prompt, stream: _stream, ...generation } = request;
    const asked = { ...generation, collection: options.knowledge };
    if (options.stream) {
      // The sources are found first, the answer streamed, and the sources printed after it.
      const { citations, request: withSources } = await client.knowledge.withSources(options.query, asked);
      await streamAnswer(client, { ...withSources, stream: true }, options, context);
      if (options.json) context.print(JSON.stringify({ citations }));
      else printSources(citations, context);
      return;
    }
    const answer = await client.knowledge.ask(options.query, asked);
    if (options.json) return printJson(answer, context.print);
    context.print(answer.text);
    printSources(answer.citations, context);
    return;
  }
  if (options.stream) return streamAnswer(client, request, options, context);
  const result = await client.generate(request);
  if (options.json) printJson(result, context.print);
  else {
    context.print(result.text);
    context.warn(
      `— ${result.provider} (${result.model}), ${result.usage.inputTokens}+${result.usage.outputTokens} tokens, $${result.costUsd.toFixed(6)}, ${result.latencyMs} ms${result.hops.length > 1 ? `, after ${result.hops.length - 1} failover(s)` : ''}`,
    );
  }
}

async function streamAnswer(
  client: AtlasClient,
  request: GenerationRequest,
  options: QueryOptions,
  context: CliContext,
): Promise<void> {
  for await (const event of client.stream(request)) {
    if (options.json) context.print(JSON.stringify(event));
    else if (event.type === 'text-delta') context.write(event.data.text);
    else if (event.type === 'reset') context.write('\n[provider changed; starting over]\n');
    else if (event.type === 'failed') throw new AtlasError(event.data.error.kind, event.data.error.message);
  }
  if (!options.json) context.write('\n');
}

function printSources(citations: readonly SearchHit[], context: CliContext): void {
  for (const [index, hit] of citations.entries()) {
    context.warn(`[${index + 1}] ${hit.metadata['source'] ?? hit.documentId} #${hit.chunkIndex}`);
  }
}

/** Resolves `lost` once a connection of its own finds Redis unreachable; `stop` ends the watch. */
function watchRedis(url: string): { lost: Promise<void>; stop(): void } {
  const redis = createRedis(url, { name: 'atlas-query-watch' });
  let stop: () => void = () => undefined;
  const lost = new Promise<void>((resolve) => {
    const onError = (error: Error) => {
      if (isConnectionError(error)) resolve();
    };
    redis.on('error', onError);
    stop = () => {
      redis.off('error', onError);
      redis.disconnect();
    };
  });
  return { lost, stop: () => stop() };
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
  // The command reports what goes wrong itself (one line); its workers' warnings would only repeat it.
  const quiet = context.env['ATLAS_LOG_LEVEL'] ? log : log.child({}, { level: 'error' });
  // Loaded only here: a fleet that is already running spares the command the worker's code.
  const { startWorkers } = await import('../../workers/generation/start-workers.js');
  return startWorkers({ settings, providers: [...new Set(instances)], log: quiet, sweep: false });
}
