// Module hooks (node:module `register`): append every URL the ESM loader resolves to a file, one a line.
import { appendFileSync } from 'node:fs';

let output;

export function initialize(data) {
  output = data.output;
}

export async function resolve(specifier, context, nextResolve) {
  const result = await nextResolve(specifier, context);
  appendFileSync(output, `${result.url}\n`);
  return result;
}
