// Ten trivial function nodes in a chain: what a step costs beyond the work it does. Loaded by the
// benchmark's agent workers through `agents.modules`.
import * as z from 'zod';
import { defineWorkflow, END, type FunctionNode } from '../../src/shared/agents/workflow.js';

export const chainLength = 10;

const increment: FunctionNode<{ count: number }> = {
  kind: 'function',
  run: (state) => ({ count: state.count + 1 }),
};

const names = Array.from({ length: chainLength }, (_, index) => `n${index}`);

export const chainWorkflow = defineWorkflow({
  name: 'chain',
  version: 1,
  state: z.object({ count: z.number().int().default(0) }),
  start: names[0]!,
  nodes: Object.fromEntries(names.map((name) => [name, increment])),
  edges: names.map((name, index) => ({ from: name, to: names[index + 1] ?? END })),
});

export const workflows = [chainWorkflow];
