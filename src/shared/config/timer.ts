import * as z from 'zod';

/** The longest delay `setTimeout` can hold; a longer one fires after 1 ms instead. */
export const maxTimerMs = 2 ** 31 - 1;

/** A millisecond setting that becomes a timer: a whole number no longer than `setTimeout` can hold. */
export function timerMs(options: { positive?: boolean } = {}) {
  const base = z.number().int().max(maxTimerMs, `expected at most ${maxTimerMs} ms (about 24.8 days)`);
  return options.positive ? base.positive() : base.min(0);
}
