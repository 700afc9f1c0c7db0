/** Prints rows as aligned columns for people; `--json` output goes through printJson instead. */
export function printTable(rows: ReadonlyArray<Record<string, string | number>>, write = console.log): void {
  if (rows.length === 0) return;
  const columns = Object.keys(rows[0]!);
  const widths = columns.map((column) =>
    Math.max(column.length, ...rows.map((row) => String(row[column] ?? '').length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, index) => cell.padEnd(widths[index]!))
      .join('  ')
      .trimEnd();
  write(line(columns.map((column) => column.toUpperCase())));
  for (const row of rows) write(line(columns.map((column) => String(row[column] ?? ''))));
}

export function printJson(value: unknown, write = console.log): void {
  write(JSON.stringify(value, null, 2));
}
