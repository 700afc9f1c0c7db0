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

export function printFigures(rows: Array<Figure & { benchmark: string }>): void {
  console.table(
    rows.map((row) => ({
      benchmark: row.benchmark,
      figure: row.figure,
      measured: row.measured,
      target: row.target,
      met: row.met === undefined ? '' : row.met ? 'yes' : 'no',
    })),
  );
}

export const ms = (value: number) => `${value.toFixed(value < 10 ? 2 : 1)} ms`;
