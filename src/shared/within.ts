/**
 * Waits for `promise` at most `ms` (forever when `ms` is not finite); true when it settled in time,
 * a rejection included. For shutdown steps that must not hang on a Redis that went away.
 */
export async function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const settled = promise.then(
    () => true,
    () => true,
  );
  if (!Number.isFinite(ms)) return settled;
  try {
    return await Promise.race([
      settled,
      new Promise<false>((resolve) => (timer = setTimeout(resolve, ms, false))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
