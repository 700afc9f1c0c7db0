import { realpath, stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
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

/**
 * Refuses, before anything is listed or read, a file, folder or glob that is not inside one of the
 * roots: a path both as written and where it really is (symlinks followed), a glob by its base folders,
 * with no `..` after its first wildcard. URLs pass.
 */
export async function assertInsideRoots(inputs: readonly string[], roots: readonly string[]): Promise<void> {
  const { default: fg } = await import('fast-glob');
  const written = roots.map((root) => resolve(root));
  const real = (await Promise.all(written.map((root) => realpath(root).catch(() => undefined)))).filter(
    (root): root is string => root !== undefined,
  );
  for (const [index, input] of inputs.entries()) {
    if (/^https?:\/\//i.test(input)) continue;
    const outside = new ValidationError(
      `sources[${index}]`,
      `'${input}' is outside the allowed folders (${roots.length ? roots.join(', ') : 'none: URLs only'})`,
    );
    const paths = [resolve(input)];
    if (fg.isDynamicPattern(input)) {
      const segments = input.split(/[\\/]/);
      const firstWild = segments.findIndex((segment) => segment !== '' && fg.isDynamicPattern(segment));
      // `..` as a segment or a brace alternative, anywhere from the first wildcard on.
      const wild = segments.slice(Math.max(firstWild, 0)).join('/');
      if (/(^|[/{,])\.\.([/},]|$)/.test(wild)) throw outside;
      const tasks = fg.generateTasks(input);
      paths.push(...(tasks.length ? tasks : [{ base: '.' }]).map((task) => resolve(task.base)));
    }
    for (const path of paths) {
      // As written first, so nothing outside is even looked at; then where it really leads.
      if (!isInside(path, [...written, ...real])) throw outside;
      if (!isInside(await realpathOfNearest(path), real)) throw outside;
    }
  }
}

/** The real path of `path`, or of its nearest existing folder with the rest appended. */
async function realpathOfNearest(path: string): Promise<string> {
  let rest = '';
  for (let at = path; ; at = dirname(at)) {
    const found = await realpath(at).catch(() => undefined);
    if (found !== undefined) return rest ? join(found, rest) : found;
    if (dirname(at) === at) return path;
    rest = rest ? join(basename(at), rest) : basename(at);
  }
}

/** Whether `path` (absolute) is one of the folders or lies under one. */
export function isInside(path: string, folders: readonly string[]): boolean {
  return folders.some((folder) => {
    const rest = relative(folder, path);
    return rest === '' || (rest !== '..' && !rest.startsWith(`..${sep}`) && !isAbsolute(rest));
  });
}

function commonFolder(folders: string[]): string {
  if (folders.length === 0) return process.cwd();
  let base = folders[0]!;
  for (const folder of folders.slice(1)) {
    while (relative(base, folder).startsWith('..')) base = dirname(base);
  }
  return base;
}
