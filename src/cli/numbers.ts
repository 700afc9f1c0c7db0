import { ValidationError } from '../shared/errors.js';

/**
 * A whole-number flag, written in plain digits (no `1e20`, no `2.5`) and within bounds, or a
 * ValidationError naming the flag and what it expects.
 */
export function wholeNumberOption(
  flag: string,
  value: string,
  bounds: { min?: number; max?: number } = {},
): number {
  const { min = 1, max = Number.MAX_SAFE_INTEGER } = bounds;
  const number = /^\d+$/.test(value.trim()) ? Number(value.trim()) : Number.NaN;
  if (!Number.isSafeInteger(number) || number < min || number > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `at least ${min}` : `from ${min} to ${max}`;
    throw new ValidationError(flag, `expected a whole number ${range}, got '${value}'`);
  }
  return number;
}
