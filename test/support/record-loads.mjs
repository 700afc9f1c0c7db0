// Preload (`node --import ./test/support/record-loads.mjs …`): records every module the process loads
// into the file ATLAS_LOAD_RECORD names: what the ESM loader resolves (through the hooks), and at exit
// every CommonJS module in require's cache, so a package loaded through `createRequire` shows too.
import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';
import { pathToFileURL } from 'node:url';

const output = process.env.ATLAS_LOAD_RECORD;
if (!output) throw new Error('record-loads: set ATLAS_LOAD_RECORD to the file to write');
register('./load-recorder-hooks.mjs', import.meta.url, { data: { output } });
const require = createRequire(import.meta.url);
process.on('exit', () => {
  const paths = Object.keys(require.cache).map((path) => pathToFileURL(path).href);
  if (paths.length) appendFileSync(output, `${paths.join('\n')}\n`);
});
