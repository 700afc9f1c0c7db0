// Runs a documentation `sh` block in one process: each `atlas …` (or `npx atlas …`) line through the
// CLI in-process, other lines through bash. Saves a process start per command. Usage: run-doc-shell <file>
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { runCli } from '../../src/cli/program.js';

/** Splits a command line into words as a POSIX shell would for the simple lines docs use. */
function words(line: string): string[] {
  const out: string[] = [];
  let current = '';
  let has = false;
  for (let index = 0; index < line.length; index++) {
    const char = line[index]!;
    if (char === "'") {
      const end = line.indexOf("'", index + 1);
      current += line.slice(index + 1, end);
      index = end;
      has = true;
    } else if (char === '"') {
      let end = index + 1;
      while (end < line.length && line[end] !== '"') {
        if (line[end] === '\\') end++;
        current += line[end];
        end++;
      }
      index = end;
      has = true;
    } else if (char === '#' && !has) {
      break;
    } else if (/\s/.test(char)) {
      if (has) out.push(current);
      current = '';
      has = false;
    } else {
      current += char;
      has = true;
    }
  }
  if (has) out.push(current);
  return out;
}

const script = readFileSync(process.argv[2]!, 'utf8').replace(/\\\n/g, ' ');
for (const line of script.split('\n')) {
  const tokens = words(line);
  const env: Record<string, string> = {};
  while (tokens[0] && /^[A-Z_][A-Z0-9_]*=/.test(tokens[0])) {
    const [name, ...value] = tokens.shift()!.split('=');
    env[name!] = value.join('=');
  }
  if (tokens[0] === 'npx' && tokens[1] === 'atlas') tokens.shift();
  if (tokens.length === 0) continue;
  if (tokens[0] !== 'atlas') {
    const result = spawnSync('bash', ['-euo', 'pipefail', '-c', line], { stdio: 'inherit' });
    if (result.status !== 0) process.exit(result.status ?? 1);
    continue;
  }
  Object.assign(process.env, env);
  process.stdout.write(`$ ${line.trim()}\n`);
  const code = await runCli(['node', 'atlas', ...tokens.slice(1)]);
  if (code !== 0) process.exit(code);
}
process.exit(0);
