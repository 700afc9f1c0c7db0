import { stat } from 'node:fs/promises';
import { dirname, relative, resolve } from 'node:path';
import { ValidationError } from '../shared/errors.js';
import { typeOf } from '../shared/knowledge/loaders/loaded-document.js';

export interface ExpandedSources {
  /** Absolute file paths and URLs, sorted, without duplicates. */
  sources: string[];
  /** Folders that file sources must stay inside: the ones the caller named. */
  roots: string[];
  /** Sources skipped for their type, to report. */
  unsupported: string[];
  /** The deepest folder holding every file source: documents are shown by their path inside it. */
  base: string;
}

/** Turns paths, folders, globs and URLs into the list of documents to ingest. */
export async function expandSources(inputs: readonly string[]): Promise<ExpandedSources> {
  const empty = inputs.findIndex((input) => !input.trim());
  if (empty >= 0)
    throw new ValidationError(`sources[${empty}]`, 'empty; expected a file, folder, glob or http(s) URL');
  // Loaded here, not with the client: most clients never ingest, and a CLI command starts faster without it.
  const { default: fg } = await import('fast-glob');
  const sources = new Set<string>();
  const roots = new Set<string>();
  const unsupported: string[] = [];
  for (const input of inputs) {
    if (/^https?:\/\//i.test(input)) {
      sources.add(input);
      continue;
    }
    const info = await stat(input).catch(() => undefined);
    let files: string[];
    if (info?.isDirectory()) {
      roots.add(resolve(input));
      files = await fg('**/*', {
        cwd: input,
        absolute: true,
        onlyFiles: true,
        dot: false,
        followSymbolicLinks: false,
      });
    } else if (info?.isFile()) {
      roots.add(dirname(resolve(input)));
      files = [resolve(input)];
    } else if (fg.isDynamicPattern(input)) {
      // A brace pattern (`{a,b}/*.md`) has one base folder per alternative: each is allowed.
      const tasks = fg.generateTasks(input);
      for (const task of tasks.length ? tasks : [{ base: '.' }]) roots.add(resolve(task.base));
      files = await fg(input, { absolute: true, onlyFiles: true, followSymbolicLinks: false });
    } else {
      throw new ValidationError('sources', `'${input}' is not a file, folder, glob or http(s) URL`);
    }
    for (const file of files) {
      if (typeOf(file)) sources.add(file);
      else unsupported.push(relative(process.cwd(), file));
    }
  }
  return { sources: [...sources].sort(), roots: [...roots], unsupported, base: commonFolder([...roots]) };
}

function commonFolder(folders: string[]): string {
  if (folders.length === 0) return process.cwd();
  let base = folders[0]!;
  for (const folder of folders.slice(1)) {
    while (relative(base, folder).startsWith('..')) base = dirname(base);
  }
  return base;
}
