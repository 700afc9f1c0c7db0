// A multi-step workflow for crash tests, loaded by agent workers through `agents.modules`: function
// nodes that each append to a list in the state, and a tool agent whose tool has an outside effect
// (a Redis set of idempotency keys at ATLAS_TEST_EFFECTS_URL / ATLAS_TEST_EFFECTS_KEY).
import * as z from 'zod';
import { defineAgent } from '../../src/shared/agents/agent.js';
import { defineTool } from '../../src/shared/agents/tools.js';
import { defineWorkflow, END } from '../../src/shared/agents/workflow.js';
import { createRedis, type Redis } from '../../src/shared/redis.js';

let effects: Redis | undefined;
const effectsKey = () => process.env['ATLAS_TEST_EFFECTS_KEY'] ?? 'effects';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export const recordTool = defineTool({
  name: 'record',
  description: 'Records that the run reached this point, once per idempotency key.',
  input: z.object({ label: z.string() }),
  async run({ label }, { idempotencyKey }) {
    effects ??= createRedis(process.env['ATLAS_TEST_EFFECTS_URL'] ?? 'redis://127.0.0.1:6379');
    // Every call is counted; the effect is applied only for a key not seen before, in one script so a
    // worker killed mid-call cannot leave the key seen but the effect unapplied.
    await effects.incr(`${effectsKey()}:calls`);
    await effects.eval(
      "if redis.call('SADD', KEYS[1], ARGV[1]) == 1 then redis.call('RPUSH', KEYS[2], ARGV[1]) end",
      2,
      effectsKey(),
      `${effectsKey()}:applied`,
      idempotencyKey,
    );
    return `ok:${label}`;
  },
});

const recorder = defineAgent({
  name: 'recorder',
  instructions: 'Record the run with the record tool, then answer.',
  tools: [recordTool],
  providers: ['mock'],
  maxSteps: 3,
});

const step =
  (name: string) =>
  async (state: { log: string[] }): Promise<{ log: string[] }> => {
    await sleep(250);
    return { log: [...state.log, name] };
  };

export const durableWorkflow = defineWorkflow({
  name: 'durable',
  version: 1,
  state: z.object({ label: z.string(), log: z.array(z.string()).default([]) }),
  start: 'a',
  nodes: {
    a: { kind: 'function', run: step('a') },
    b: {
      kind: 'agent',
      agent: recorder,
      input: (state) => `Record ${state.label}`,
      output: (state, answer) => ({ log: [...state.log, `b:${answer}`] }),
    },
    c: { kind: 'function', run: step('c') },
    d: { kind: 'function', run: step('d') },
  },
  edges: [
    { from: 'a', to: 'b' },
    { from: 'b', to: 'c' },
    { from: 'c', to: 'd' },
    { from: 'd', to: END },
  ],
});

export const workflows = [durableWorkflow];
export const tools = [recordTool];
