import * as z from 'zod';
import { parseWith } from '../parse-with.js';

/** Tables and collections the stores keep for themselves: a collection of that name would overwrite them. */
const reservedPrefix = '_atlas';

const rule = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
const expected = '1-64 letters, digits, "_" or "-", starting with a letter or digit';

/** The one rule for collection names, in both stores: it must make a valid table, collection and key name. */
export const collectionNameSchema = z
  .string()
  .regex(rule, `expected ${expected}`)
  .refine((name) => !name.toLowerCase().startsWith(reservedPrefix), {
    message: `expected a name not starting with '${reservedPrefix}' (reserved for the stores' own records)`,
  });

/** Throws a ValidationError naming `field` when `name` is not a collection name Atlas may write or read. */
export function checkCollectionName(name: string, field = 'collection'): string {
  return parseWith(collectionNameSchema, name, field);
}
