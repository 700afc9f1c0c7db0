// One row per measured figure with its target, so `npm run bench` can end on a single table of all of them.
// A benchmark run alone prints its own rows; under `bench/run-all.ts` they are also appended (one JSON line
// each) to the file named by ATLAS_BENCH_FIGURES, which run-all reads back at the end.
import { appendFileSync } from 'node:fs';

export interface Figure {
  /** What was measured, e.g. "closed loop, 0 ms mock, 1 worker process". */
  figure: string;
  /** The measurement, with its unit. */
  measured: string;
  /** The target, or "(figure only)". */
  target: string;
  /** Whether the target was met; undefined where there is no target. */
  met?: boolean | undefined;
}

export function reportFigures(benchmark: string, figures: Figure[]): void {
  const rows = figures.map((entry) => ({ benchmark, ...entry }));
  const file = process.env['ATLAS_BENCH_FIGURES'];
  if (file) appendFileSync(file, rows.map((row) => `${JSON.stringify(row)}\n`).join(''));
  printFigures(rows);
}

/** Prints the rows as a Markdown table, so a run's figures can go into docs/benchmarks.md as they are. */
export function printFigures(rows: Array<Figure & { benchmark: string }>): void {
  const header = ['benchmark', 'figure', 'measured', 'target', 'met'];
  const cells = rows.map((row) => [
    row.benchmark,
    row.figure,
    row.measured,
    row.target,
    row.met === undefined ? '' : row.met ? 'yes' : 'no',
  ]);
  const widths = header.map((name, column) =>
    Math.max(name.length, ...cells.map((line) => line[column]!.length)),
  );
  const line = (values: string[]) =>
    `| ${values.map((value, column) => value.padEnd(widths[column]!)).join(' | ')} |`;
  console.log([line(header), line(widths.map((width) => '-'.repeat(width))), ...cells.map(line)].join('\n'));
}

export const ms = (value: number) => `${value.toFixed(value < 10 ? 2 : 1)} ms`;
