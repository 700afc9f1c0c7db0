import type { HumanNode } from '../../shared/agents/workflow.js';
import { zodIssueError } from '../../shared/parse-with.js';
import { advance, commitOrStale } from './step-commit.js';
import { outcome, type Step, type StepOutcome } from './step-outcome.js';

/**
 * A human node: the run waits (no worker busy) until a signal hands it input; input that fails the
 * node's schema is refused and the run keeps waiting.
 */
export async function humanNode(step: Step, node: HumanNode<unknown>): Promise<StepOutcome> {
  const { record, now } = step;
  if (record.status === 'waiting') return outcome('waiting');
  if (record.signal === undefined) {
    const prompt = typeof node.prompt === 'function' ? node.prompt(record.state) : node.prompt;
    return commitOrStale(step, {
      newState: record.state,
      nextNode: record.node,
      status: 'waiting',
      historyEntry: waitingEntry(step, 'waiting for input'),
      events: [{ type: 'step-start', node: record.node, data: { kind: 'human', waiting: true, prompt } }],
    });
  }
  const checked = node.data
    ? node.data.safeParse(record.signal)
    : { success: true as const, data: record.signal };
  if (!checked.success) {
    const reason = zodIssueError(checked.error, 'signal data').message;
    return commitOrStale(step, {
      newState: record.state,
      nextNode: record.node,
      status: 'waiting',
      consumedSignal: true,
      historyEntry: waitingEntry(step, `input refused: ${reason}`),
      events: [{ type: 'step-finish', node: record.node, data: { kind: 'human', refused: reason } }],
    });
  }
  return advance(step, () => node.resume(record.state, checked.data), {
    kind: 'human',
    startedAt: now,
    consumedSignal: true,
  });
}

/** The history entry of a turn at which the run went on waiting: it cost nothing and changed nothing. */
function waitingEntry({ record, now }: Step, note: string) {
  return {
    node: record.node,
    kind: 'human' as const,
    inputTokens: 0,
    outputTokens: 0,
    costUsd: 0,
    ms: 0,
    startedAt: now,
    patch: [],
    note,
  };
}
