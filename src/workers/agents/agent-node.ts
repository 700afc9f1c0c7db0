import {
  agentTurn,
  appendToolResults,
  type Conversation,
  startConversation,
} from '../../shared/agents/agent.js';
import type { RunRecord } from '../../shared/agents/run-records.js';
import type { AgentNode } from '../../shared/agents/workflow.js';
import { generationFor, runTools, toolEvents } from './agent-calls.js';
import type { LlmReply } from './agent-jobs.js';
import { advance, commitOrStale, failStep, history } from './step-commit.js';
import { message, outcome, type Step, type StepOutcome } from './step-outcome.js';

/**
 * An agent node, one LLM call per step: the call is issued as a generation request whose continuation
 * brings the result back; the result's tool calls are run and the next call issued, or its answer taken.
 */

function agentConversation(record: RunRecord, node: AgentNode<unknown>): Conversation {
  return record.conversation ?? startConversation(node.agent, node.input(record.state));
}

/** Issues the agent's next LLM call; the step ends here and the continuation resumes it. */
export async function agentCall(step: Step, node: AgentNode<unknown>): Promise<StepOutcome> {
  const { record, context } = step;
  let conversation: Conversation;
  try {
    conversation = agentConversation(record, node);
  } catch (error) {
    return failStep(step, `node '${record.node}': ${message(error)}`);
  }
  const request = generationFor(
    step,
    node.agent,
    conversation,
    { runId: record.id, version: record.checkpoint, node: record.node },
    `${record.id}:${record.checkpoint}`,
    node.route?.(record.state),
  );
  await context.store.emit(record.id, [
    {
      type: 'step-start',
      node: record.node,
      data: { kind: 'agent', agent: node.agent.name, turn: conversation.turns },
    },
  ]);
  return outcome('issued', { generations: [request] });
}

export async function agentReply(
  step: Step,
  node: AgentNode<unknown>,
  reply: LlmReply,
): Promise<StepOutcome> {
  const { record, now } = step;
  if (!reply.result)
    return failStep(
      step,
      `node '${record.node}': the LLM call failed: ${reply.error?.message ?? 'no result'}`,
    );
  const result = reply.result;
  let conversation: Conversation;
  try {
    conversation = agentConversation(record, node);
  } catch (error) {
    return failStep(step, `node '${record.node}': ${message(error)}`);
  }
  const decision = agentTurn(node.agent, conversation, result);
  const base = { startedAt: now, result, turn: conversation.turns };
  switch (decision.kind) {
    case 'answer':
      return advance(step, () => node.output(record.state, decision.text), {
        ...base,
        kind: 'agent',
        events: [{ type: 'text-delta', node: record.node, data: { text: decision.text } }],
      });
    case 'max-steps':
      return commitOrStale(step, {
        newState: record.state,
        nextNode: record.node,
        failure: `agent '${node.agent.name}' gave no answer within maxSteps ${decision.maxSteps}`,
        ...history(step, { ...base, kind: 'agent' }, []),
      });
    case 'call-tools': {
      const outcomes = await runTools(step, node.agent, decision.calls, String(record.checkpoint));
      const next = appendToolResults(conversation, result, outcomes);
      const committed = await commitOrStale(step, {
        newState: record.state,
        nextNode: record.node,
        conversation: next,
        ...history(
          step,
          {
            ...base,
            kind: 'agent',
            toolCalls: decision.calls.map((call) => call.name),
            events: toolEvents(record.node, decision.calls, outcomes),
          },
          [],
        ),
      });
      if (committed.status !== 'committed') return committed;
      // The next LLM call is issued at once rather than through another step job.
      const version = record.checkpoint + 1;
      const request = generationFor(
        step,
        node.agent,
        next,
        { runId: record.id, version, node: record.node },
        `${record.id}:${version}`,
        node.route?.(record.state),
      );
      return outcome('issued', { generations: [request] });
    }
  }
}
