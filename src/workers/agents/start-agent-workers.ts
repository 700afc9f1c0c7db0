import { DelayedError, type Job } from 'bullmq';
import * as z from 'zod';
import { AgentQueue, deadlineJobId } from '../../shared/agents/agent-queue.js';
import type { KnowledgeSearch } from '../../shared/agents/built-in-tools.js';
import { builtInTools, builtInWorkflows } from '../../shared/agents/built-ins.js';
import { type AgentCatalog, publishCatalog, withdrawCatalog } from '../../shared/agents/catalog.js';
import { releaseRun } from '../../shared/agents/release-run.js';
import { isFinished, type RunStatus } from '../../shared/agents/run-records.js';
import { RunStore } from '../../shared/agents/run-store.js';
import { type AnyTool, isWorkerTool } from '../../shared/agents/tools.js';
import type { AnyWorkflow, WorkflowRegistry } from '../../shared/agents/workflow.js';
import { loadSettings, type Settings } from '../../shared/config/settings.js';
import type { Logger } from '../../shared/log.js';
import { cancelRequest } from '../../shared/requests/cancel-request.js';
import { ContinuationQueues } from '../../shared/requests/continuations.js';
import { RequestStore } from '../../shared/requests/request-store.js';
import { RequestSubmitter } from '../../shared/requests/request-submitter.js';
import { type Subsystem, startWorkerHost } from '../worker-host.js';
import { loadAgentModules } from './load-agent-modules.js';
import type { StepContext, StepOutcome } from './step-outcome.js';
import { runAgentJob } from './step-processor.js';
import { WorkerKnowledge } from './worker-knowledge.js';

export interface AgentSubsystemOptions {
  /** Workflows served besides the built-in ones and those of `settings.agents.modules`. */
  workflows?: readonly AnyWorkflow[];
  /** Tools listed besides the built-in ones, those of the modules and those the workflows' agents use. */
  tools?: readonly AnyTool[];
  /** Agent-step jobs at once. @default settings.agents.concurrency */
  concurrency?: number;
  /** Module paths to import instead of `settings.agents.modules`. */
  modules?: readonly string[];
  /** The knowledge-search tool's search. @default the knowledge store, queries embedded through the fleet's breakers */
  knowledgeSearch?: KnowledgeSearch;
}

/** A stalled step is only ever re-run (the version check makes that harmless), never given up on. */
const stepStallsAllowed = 1_000;

/**
 * Agent-step workers as a worker-host subsystem: a BullMQ worker on the agent queue runs each step (or
 * LLM continuation) through the step processor, submits the generation requests it issues through the
 * generation path, and enqueues the next steps. The workflows and tools served are published with the
 * heartbeat, for `atlas tools`, `atlas workflow list` and starting runs.
 */
export function createAgentSubsystem(options: AgentSubsystemOptions = {}): Subsystem {
  return {
    name: 'agents',
    async start(host) {
      const { redis, keys, settings, log, workerId } = host;
      const agents = settings.agents;
      const fromModules = await loadAgentModules(options.modules ?? agents.modules);
      const workflows = builtInWorkflows();
      for (const workflow of [...(options.workflows ?? []), ...fromModules.workflows])
        workflows.register(workflow);
      const knowledge = options.knowledgeSearch ? undefined : new WorkerKnowledge(host);
      const tools = builtInTools({
        allowPrivateUrls: settings.ingestion.allowPrivateUrls,
        search: options.knowledgeSearch ?? ((query, request) => knowledge!.search(query, request)),
        ...(agents.knowledgeCollection ? { defaultCollection: agents.knowledgeCollection } : {}),
      });
      for (const tool of [...(options.tools ?? []), ...fromModules.tools, ...agentTools(workflows)]) {
        if (!tools.has(tool.name) && !isWorkerTool(tool)) tools.register(tool);
      }

      const store = new RunStore(redis, keys, { recordTtlMs: agents.recordTtlMs });
      const requests = new RequestStore(redis, keys, settings.generation.recordTtlMs);
      const submitter = new RequestSubmitter(settings, redis, keys, requests);
      const continuations = new ContinuationQueues(redis, keys, settings.workers);
      const queue = new AgentQueue(redis, keys);
      const release = {
        redis,
        keys,
        store,
        queue,
        cancelRequest: (requestId: string, reason: string) =>
          cancelRequest(
            { redis, keys, store: requests, continuations, queues: submitter.queues },
            requestId,
            reason,
          ),
      };
      host.watch(queue.queue, 'agent queue');
      const aborter = new AbortController();
      const context: StepContext & Parameters<typeof runAgentJob>[0] = {
        store,
        workflows,
        tools,
        providerRegistry: submitter.planner.registry,
        providerOrder: settings.providerOrder,
        signal: aborter.signal,
        unknownVersion: 'wait',
        agentQueue: keys.agentQueue,
        maxStepsPerRun: agents.maxStepsPerRun,
        // A run's request keys live as long as the run can: its deadline, then the record TTL.
        submitGeneration: (request) =>
          submitter.submit(request, { idempotencyTtlMs: (request.deadlineMs ?? 0) + agents.recordTtlMs }),
        enqueueStep: (jobId, data) => queue.addStep(jobId, data),
      };

      const process = async (job: Job, token?: string): Promise<unknown> => {
        const runId = runIdOf(job.data);
        if (runId && job.id === deadlineJobId(runId)) {
          const at = Number(await redis.hget(keys.run(runId), 'deadlineAt'));
          // Clocks differ between machines: a watch that fires early waits for the deadline.
          if (at > Date.now()) return delay(job, token, at + 50);
        }
        let result = await runAgentJob(context, job.data);
        if (result.status === 'refused') {
          const refusals = Number((job.data as { refusals?: number }).refusals ?? 0);
          if (refusals < agents.unknownVersionRetries) {
            log.warn({ runId, detail: result.detail, refusals }, 'run of a workflow version not served here');
            await job.updateData({ ...(job.data as object), refusals: refusals + 1 });
            return delay(job, token, Date.now() + agents.unknownVersionDelayMs);
          }
          result = await runAgentJob({ ...context, unknownVersion: 'fail' }, job.data);
        }
        const end = runId ? await ended(result, runId) : undefined;
        if (runId && end) {
          // A run stopped at its deadline or over a budget may still have calls and sub-runs going: they
          // are cancelled rather than left to run to their own deadlines.
          await releaseRun(release, runId, await store.leftovers(runId), end);
        }
        return result.status;
      };

      /** Why the run ended, if this step saw it end (or found it over); undefined while it goes on. */
      const ended = async (result: StepOutcome, runId: string): Promise<string | undefined> => {
        if (result.generations.length) return undefined;
        if (result.enqueue.some((job) => job.data.runId === runId)) return undefined;
        if (!['committed', 'failed', 'refused', 'over'].includes(result.status)) return undefined;
        const [status, error] = (await redis.hmget(keys.run(runId), 'status', 'error')) as [
          RunStatus | null,
          string | null,
        ];
        return status !== null && isFinished(status) ? (error ?? status) : undefined;
      };

      host.worker(keys.agentQueue, process, {
        concurrency: options.concurrency ?? agents.concurrency,
        maxStalledCount: stepStallsAllowed,
      });

      const catalog: Omit<AgentCatalog, 'at'> = {
        workerId,
        workflows: workflows.list().map((entry) => {
          const definition = workflows.get(entry.name, entry.version)!;
          return {
            ...entry,
            ...(definition.description ? { description: definition.description } : {}),
            required: requiredFields(definition),
          };
        }),
        tools: tools.list(),
      };
      const interval = settings.workers.heartbeatIntervalMs;
      await publishCatalog(redis, keys, catalog, interval);
      const timer = setInterval(() => {
        if (host.closing) return;
        publishCatalog(redis, keys, catalog, interval).catch((error: unknown) => {
          if (!host.closing) log.warn({ err: error }, 'agent catalog not published');
        });
      }, interval);
      timer.unref();
      log.info(
        { workerId, workflows: catalog.workflows.map((w) => `${w.name}@${w.version}`) },
        'agent workers started',
      );
      return {
        serves: [keys.agentQueue],
        async close() {
          clearInterval(timer);
          aborter.abort();
          await withdrawCatalog(redis, keys, workerId).catch(() => undefined);
          await queue.close();
          await continuations.close();
          await submitter.close();
          await knowledge?.close();
        },
      };
    },
  };
}

async function delay(job: Job, token: string | undefined, at: number): Promise<never> {
  await job.moveToDelayed(at, token);
  throw new DelayedError();
}

function runIdOf(data: unknown): string | undefined {
  const value = data as { runId?: unknown; payload?: { runId?: unknown } } | undefined;
  const runId = value?.runId ?? value?.payload?.runId;
  return typeof runId === 'string' ? runId : undefined;
}

/** Every tool some agent of these workflows uses. */
function agentTools(workflows: WorkflowRegistry): AnyTool[] {
  const found: AnyTool[] = [];
  for (const entry of workflows.list()) {
    const workflow = workflows.get(entry.name, entry.version)!;
    for (const node of Object.values(workflow.nodes)) {
      if ((node.kind === 'agent' || node.kind === 'map') && node.agent) found.push(...node.agent.tools);
    }
  }
  return found;
}

/** Top-level fields a run's input must give: those of the state schema without a default. */
function requiredFields(workflow: AnyWorkflow): string[] {
  try {
    const schema = z.toJSONSchema(workflow.state as z.ZodType, { io: 'input' }) as { required?: string[] };
    return schema.required ?? [];
  } catch {
    return [];
  }
}

export interface StartAgentWorkersOptions extends AgentSubsystemOptions {
  /** @default loadSettings() */
  settings?: Settings;
  log?: Logger;
  workerId?: string;
}

export interface AgentWorkers {
  readonly workerId: string;
  close(): Promise<void>;
}

/** Runs agent-step workers in this process, on a worker host of their own. */
export async function startAgentWorkers(options: StartAgentWorkersOptions = {}): Promise<AgentWorkers> {
  const { settings = loadSettings(), log, workerId, ...subsystem } = options;
  const host = await startWorkerHost({
    settings,
    ...(log ? { log } : {}),
    ...(workerId ? { workerId } : {}),
    subsystems: [createAgentSubsystem(subsystem)],
  });
  return { workerId: host.workerId, close: () => host.stop() };
}
