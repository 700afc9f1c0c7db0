import { type Chunk, numbered } from './chunk.js';
import { chunkRecursive } from './chunk-recursive.js';

export interface MarkdownChunkOptions {
  /** Most tokens per chunk. @default 512 */
  chunkSize?: number;
}

const heading = /^(#{1,6})[ \t]+(.+?)[ \t#]*$/gm;

/**
 * Splits a markdown document at its headings, keeping each section's heading path (outermost first)
 * with every chunk of it; a section over the size is split further like the recursive chunker.
 */
export function chunkMarkdown(text: string, options: MarkdownChunkOptions = {}): Chunk[] {
  const sections: Array<{ start: number; end: number; path: string[] }> = [];
  const path: string[] = [];
  let start = 0;
  let currentPath: string[] = [];
  for (const match of text.matchAll(heading)) {
    if (match.index > start) sections.push({ start, end: match.index, path: currentPath });
    const level = match[1]!.length;
    path.length = Math.min(path.length, level - 1);
    path[level - 1] = match[2]!.trim();
    currentPath = path.filter((entry) => entry !== undefined);
    start = match.index;
  }
  sections.push({ start, end: text.length, path: currentPath });
  const pieces = sections.flatMap((section) =>
    chunkRecursive(text.slice(section.start, section.end), options).map((chunk) => ({
      text: chunk.text,
      startChar: section.start + chunk.startChar,
      endChar: section.start + chunk.endChar,
      headingPath: section.path,
    })),
  );
  return numbered(pieces);
}
