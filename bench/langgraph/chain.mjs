// The workflow benchmark's point of comparison: a chain of ten trivial function nodes in LangGraph.js,
// checkpointed by its SQLite saver (a file, as a durable deployment would use), run one at a time and
// 20 in flight. Prints one JSON line: {msPerStepP50, msPerStepP99, runsPerSecond}.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Annotation, END, START, StateGraph } from '@langchain/langgraph';
import { SqliteSaver } from '@langchain/langgraph-checkpoint-sqlite';

const nodes = 10;
const sequentialRuns = Number(process.env['LANGGRAPH_SEQUENTIAL_RUNS'] ?? 100);
const concurrentSeconds = Number(process.env['LANGGRAPH_CONCURRENT_SECONDS'] ?? 5);
const inFlight = 20;

const State = Annotation.Root({ count: Annotation({ reducer: (_old, value) => value, default: () => 0 }) });
let graph = new StateGraph(State);
for (let index = 0; index < nodes; index++)
  graph = graph.addNode(`n${index}`, (state) => ({ count: state.count + 1 }));
graph = graph.addEdge(START, 'n0');
for (let index = 1; index < nodes; index++) graph = graph.addEdge(`n${index - 1}`, `n${index}`);
graph = graph.addEdge(`n${nodes - 1}`, END);

const folder = mkdtempSync(join(tmpdir(), 'atlas-bench-langgraph-'));
const checkpointer = SqliteSaver.fromConnString(join(folder, 'checkpoints.db'));
const app = graph.compile({ checkpointer });
let thread = 0;
const run = async () => {
  const result = await app.invoke({ count: 0 }, { configurable: { thread_id: `t${thread++}` } });
  if (result.count !== nodes) throw new Error(`expected ${nodes}, got ${result.count}`);
};

for (let index = 0; index < 10; index++) await run();
const perStep = [];
for (let index = 0; index < sequentialRuns; index++) {
  const started = performance.now();
  await run();
  perStep.push((performance.now() - started) / nodes);
}
perStep.sort((a, b) => a - b);

let completed = 0;
const until = performance.now() + concurrentSeconds * 1000;
const started = performance.now();
await Promise.all(
  Array.from({ length: inFlight }, async () => {
    while (performance.now() < until) {
      await run();
      completed++;
    }
  }),
);
const seconds = (performance.now() - started) / 1000;
rmSync(folder, { recursive: true, force: true });
const at = (q) => perStep[Math.min(perStep.length - 1, Math.floor(q * perStep.length))];
console.log(
  JSON.stringify({ msPerStepP50: at(0.5), msPerStepP99: at(0.99), runsPerSecond: completed / seconds }),
);
