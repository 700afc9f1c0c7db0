import type { Command } from 'commander';
import { ValidationError } from '../../shared/errors.js';
import { chunkerNames } from '../../shared/knowledge/chunker-names.js';
import type { CliContext } from '../context.js';
import { wholeNumberOption } from '../numbers.js';

const count =
  (flag: string, min = 1) =>
  (value: string) =>
    wholeNumberOption(flag, value, { min });

const json =
  (flag: string, example = '{"year": {"$gte": 2024}}') =>
  (value: string) => {
    try {
      return JSON.parse(value) as unknown;
    } catch {
      throw new ValidationError(flag, `expected JSON such as '${example}', got '${value}'`);
    }
  };

export function registerKnowledgeCommands(program: Command, context: CliContext): void {
  program
    .command('ingest')
    .description('ingest files, folders, globs or URLs into a collection (one job per document)')
    .argument('<sources...>', 'paths, folders, globs or http(s) URLs')
    .requiredOption('--collection <name>', 'collection to write to')
    .option(
      '--chunker <name>',
      `one of ${chunkerNames.join(', ')} [default: markdown for .md, recursive for the rest]`,
    )
    .option('--chunk-size <tokens>', 'tokens per chunk', count('--chunk-size'))
    .option(
      '--overlap <tokens>',
      'tokens shared by neighbouring chunks (fixed chunker)',
      count('--overlap', 0),
    )
    .option('--embedder <instance>', 'provider instance that embeds [default: the mock, lexical]')
    .option(
      '--keep-versions <n>',
      'versions of each document to keep; older kept ones are found only by asking for their version',
      count('--keep-versions'),
    )
    .option('--prune', 'delete documents of the collection that are not among the sources')
    .option('--json', 'print the summary as JSON')
    .action(async (sources: string[], options: Record<string, unknown>) =>
      (await import('./knowledge-action.js')).runIngest(sources, options, context),
    );

  program
    .command('search')
    .description('search a collection by meaning, keyword or both')
    .requiredOption('-q, --query <text>', 'what to search for')
    .requiredOption('--collection <name>', 'collection to search')
    .option('--mode <mode>', 'semantic, keyword or hybrid', 'hybrid')
    .option('-k, --k <n>', 'how many hits', count('--k'), 5)
    .option('--where <json>', 'metadata filter, e.g. {"source": "guide.md"}', json('--where'))
    .option(
      '--where-document <json>',
      'text filter, e.g. {"$contains": "Redis"}',
      json('--where-document', '{"$contains": "Redis"}'),
    )
    .option('--embedder <instance>', 'provider instance that embeds the query')
    .option('--json', 'print hits as JSON')
    .action(async (options: Record<string, unknown>) =>
      (await import('./knowledge-action.js')).runSearch(options, context),
    );

  program
    .command('docs')
    .description('list, show or delete the documents of a collection')
    .argument('<action>', 'list, show or delete')
    .argument('[document]', 'document id (show, delete)')
    .requiredOption('--collection <name>', 'the collection')
    .option('--json', 'print as JSON')
    .action(
      async (
        action: string,
        documentId: string | undefined,
        options: { collection: string; json?: boolean },
      ) => (await import('./knowledge-action.js')).runDocs(action, documentId, options, context),
    );
}
