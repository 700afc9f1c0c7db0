// Per-request stage times for bench/latency.ts, taken in each process on one clock. Every process on a
// machine reads the same CLOCK_MONOTONIC through process.hrtime, so times from the producer, the worker
// and the fake subtract directly (Atlas's own timestamps are whole milliseconds, too coarse here).
//
// Nothing here changes what Atlas does: a process records the times of calls it makes anyway, by
// wrapping them from outside, keyed by the request's prompt (unique per request in the benchmark). With
// BENCH_STAGES=<folder> set, the worker and the fake processes write theirs there when told to stop.
import { writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { EventHub } from '../src/producer/event-hub.js';
import { RequestStore } from '../src/shared/requests/request-store.js';
import { RequestSubmitter } from '../src/shared/requests/request-submitter.js';
import type { OpenAIFake } from '../test/fakes/openai-fake.js';

/** Milliseconds on the machine-wide monotonic clock. */
export const clock = () => Number(process.hrtime.bigint()) / 1e6;

/** Named instants of each request, by its prompt. */
export type StageTimes = Record<string, Record<string, number>>;

const folder = () => process.env['BENCH_STAGES'];
const times: StageTimes = {};

/** The times this process recorded. */
export const stageTimes = (): StageTimes => times;

export function mark(key: string, name: string, at = clock()): void {
  times[key] = { ...times[key], [name]: at };
}

/** CPU time of this process since it began serving (its first request), when it records one. */
let servingSince: NodeJS.CpuUsage | undefined;

/** What a process writes: its times, and the CPU it spent serving (ms, user + system). */
export interface SavedStages {
  times: StageTimes;
  cpuMs: number | undefined;
}

/** Writes this process's times into BENCH_STAGES, when set. */
export function saveStageTimes(role: string): void {
  const into = folder();
  if (!into) return;
  const used = servingSince && process.cpuUsage(servingSince);
  const saved: SavedStages = { times, cpuMs: used && (used.user + used.system) / 1000 };
  writeFileSync(join(into, `${role}-${process.pid}.json`), JSON.stringify(saved));
}

/**
 * In the producer: when `accept` answered (record written and job added: `generate` then waits), and
 * when the shared event reader handed over the request's `completed` event.
 */
export function timeProducerStages(): void {
  const prompts = new Map<string, string>();
  const accept = RequestSubmitter.prototype.accept;
  RequestSubmitter.prototype.accept = async function (this: RequestSubmitter, request, options) {
    const accepted = await accept.call(this, request, options);
    if (request.prompt !== undefined) {
      mark(request.prompt, 'accepted');
      prompts.set(accepted.id, request.prompt);
    }
    return accepted;
  };
  const follow = EventHub.prototype.follow;
  EventHub.prototype.follow = async function* (this: EventHub, key, afterId, signal) {
    for await (const entry of follow.call(this, key, afterId, signal)) {
      if (entry.event.type === 'completed') {
        const id = key.split(':').at(-2) ?? '';
        const prompt = prompts.get(id);
        if (prompt !== undefined) mark(prompt, 'eventRead');
        prompts.delete(id);
      }
      yield entry;
    }
  };
}

/**
 * In a worker process: when the processor starts an attempt (`begin` called and answered) and when it
 * records the result (`complete` called and answered).
 */
export function timeWorkerStages(): void {
  if (!folder()) return;
  const prompts = new Map<string, string>();
  const begin = RequestStore.prototype.begin;
  RequestStore.prototype.begin = async function (this: RequestStore, input) {
    const called = clock();
    servingSince ??= process.cpuUsage();
    const begun = await begin.call(this, input);
    const prompt = begun.record?.request.prompt;
    if (prompt !== undefined) {
      prompts.set(input.id, prompt);
      mark(prompt, 'pickedUp', called);
      mark(prompt, 'begun');
    }
    return begun;
  };
  const complete = RequestStore.prototype.complete;
  RequestStore.prototype.complete = async function (this: RequestStore, input) {
    const prompt = prompts.get(input.id);
    if (prompt !== undefined) mark(prompt, 'recording');
    const recorded = await complete.call(this, input);
    if (prompt !== undefined) mark(prompt, 'recorded');
    prompts.delete(input.id);
    return recorded;
  };
}

/** In the fake's process: when a chat request's headers arrived and when its response was handed to the socket. */
export function timeFakeStages(fake: OpenAIFake): void {
  if (!folder()) return;
  // The fake records each request with the very headers object of its IncomingMessage.
  const server = fake.server['server'] as Server;
  server.on('request', (request, response) => {
    const received = clock();
    response.once('finish', () => {
      const sent = clock();
      const recorded = fake.server.requests.findLast((entry) => entry.headers === request.headers);
      const body = recorded?.body as { messages?: Array<{ content?: unknown }> } | undefined;
      const prompt = body?.messages?.at(-1)?.content;
      if (typeof prompt !== 'string') return;
      mark(prompt, 'fakeReceived', received);
      mark(prompt, 'fakeSent', sent);
    });
  });
}
