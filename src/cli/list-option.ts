/** Collects a list flag given as `--flag a b c`, `--flag a,b,c` or repeated, into one flat list. */
export function collectList(value: string, previous: string[] = []): string[] {
  return [...previous, ...value.split(/[\s,]+/).filter(Boolean)];
}

/** Flattens commander's variadic values, which may themselves hold commas. */
export function flattenList(values: readonly string[] | undefined): string[] | undefined {
  if (!values || values.length === 0) return undefined;
  return values.flatMap((value) => value.split(/[\s,]+/)).filter(Boolean);
}
