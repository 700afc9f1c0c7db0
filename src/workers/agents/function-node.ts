import type { NodeContext } from '../../shared/agents/workflow.js';
import { advance } from './step-commit.js';
import type { Step, StepOutcome } from './step-outcome.js';

/** A function node: runs the node's function on the state and commits its patch. */
export function functionNode(
  step: Step,
  run: (state: unknown, context: NodeContext) => unknown,
): Promise<StepOutcome> {
  const { record, context, now } = step;
  return advance(
    step,
    () =>
      run(record.state, {
        runId: record.id,
        stepIndex: record.checkpoint,
        idempotencyKey: `${record.id}:${record.checkpoint}:0`,
        signal: context.signal ?? new AbortController().signal,
      }),
    {
      kind: 'function',
      startedAt: now,
      events: [{ type: 'step-start', node: record.node, data: { kind: 'function' } }],
    },
  );
}
