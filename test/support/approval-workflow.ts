// A workflow that stops at a human node until it is signalled, for the tests that drive one through
// the client or the HTTP API.
import * as z from 'zod';
import { defineWorkflow, END } from '../../src/shared/agents/workflow.js';

export const approve = defineWorkflow({
  name: 'approve',
  version: 1,
  state: z.object({ log: z.array(z.string()).default([]), approved: z.boolean().default(false) }),
  start: 'prepare',
  nodes: {
    prepare: { kind: 'function', run: (s) => ({ log: [...s.log, 'prepared'] }) },
    ask: {
      kind: 'human',
      prompt: 'Approve?',
      data: z.object({ approved: z.boolean() }),
      resume: (s, data) => ({
        approved: (data as { approved: boolean }).approved,
        log: [...s.log, 'answered'],
      }),
    },
    finish: { kind: 'function', run: (s) => ({ log: [...s.log, 'finished'] }) },
  },
  edges: [
    { from: 'prepare', to: 'ask' },
    { from: 'ask', to: 'finish' },
    { from: 'finish', to: END },
  ],
});
