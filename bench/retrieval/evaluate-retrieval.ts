import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve, sep } from 'node:path';
import { gunzipSync } from 'node:zlib';
import MiniSearch from 'minisearch';
import type { Settings } from '../../src/shared/config/settings.js';
import { chunkDocument } from '../../src/shared/knowledge/chunk-document.js';
import { ingestOptionsSchema } from '../../src/shared/knowledge/ingest-jobs.js';
import { readSource } from '../../src/shared/knowledge/loaders/read-source.js';
import type { SearchHit, SearchMode } from '../../src/shared/knowledge/vector-store.js';

/** One labelled query: the documents that answer it, graded 2 (about this) or 1 (in part). */
export interface LabelledQuery {
  query: string;
  relevant: Record<string, number>;
}

export interface ModeScore {
  mode: SearchMode | 'bm25';
  recallAt5: number;
  ndcgAt10: number;
}

/** A document of the corpus: a package's README, named by its package. */
export interface CorpusDocument {
  name: string;
  path: string;
}

/** A labelled corpus: its documents, its queries, and how a hit names its document. */
export interface RetrievalCorpus {
  /** Shown in the figures. */
  name: string;
  /** The collection it is ingested into. */
  collection: string;
  documents: CorpusDocument[];
  queries: LabelledQuery[];
  /** The folders its files are read from. */
  roots: string[];
  documentOfHit(hit: SearchHit): string;
  /** Removes what building the corpus wrote. */
  dispose(): void;
}

export function labelledQueries(file = 'queries.json'): LabelledQuery[] {
  const url = new URL(`./${file}`, import.meta.url);
  return (JSON.parse(readFileSync(url, 'utf8')) as { queries: LabelledQuery[] }).queries;
}

/** The package README corpus (corpus-packages.json, queries.json). */
export function readmeRetrievalCorpus(): RetrievalCorpus {
  return {
    name: 'READMEs',
    collection: 'readmes',
    documents: readmeCorpus(),
    queries: labelledQueries(),
    // Its own folder, by its real path: node_modules may be a link to outside the working folder.
    roots: [realpathSync(resolve('node_modules'))],
    documentOfHit,
    dispose() {},
  };
}

/**
 * Where Debian's nodejs-doc put the Node.js API reference: `ATLAS_NODEJS_DOC`, the package's own folder,
 * or `.atlas/nodejs-doc` where `.ci/run` unpacks the package without installing it (installing it would
 * replace a Node.js not from Debian).
 */
export function nodejsDocFolder(): string | undefined {
  const candidates = [
    process.env['ATLAS_NODEJS_DOC'],
    '/usr/share/doc/nodejs/api',
    resolve('.atlas/nodejs-doc/usr/share/doc/nodejs/api'),
  ];
  return candidates.find((folder) => folder && existsSync(join(folder, 'fs.md.gz')));
}

/**
 * The Node.js API reference corpus (nodejs-corpus.json, nodejs-queries.json): each page unpacked into a
 * temporary folder as `<page>.md`. `pages` keeps a subset, with the queries whose documents it holds
 * (labels outside it dropped). Undefined when the docs are not installed.
 */
export function nodejsRetrievalCorpus(pages?: readonly string[]): RetrievalCorpus | undefined {
  const folder = nodejsDocFolder();
  if (!folder) return undefined;
  const all = (
    JSON.parse(readFileSync(new URL('./nodejs-corpus.json', import.meta.url), 'utf8')) as { pages: string[] }
  ).pages;
  const kept = pages ? all.filter((page) => pages.includes(page)) : all;
  const unpacked = mkdtempSync(join(tmpdir(), 'atlas-nodejs-doc-'));
  const documents = kept.map((page) => {
    const path = join(unpacked, `${page}.md`);
    writeFileSync(path, gunzipSync(readFileSync(join(folder, `${page}.md.gz`))));
    return { name: page, path };
  });
  const queries = labelledQueries('nodejs-queries.json').flatMap(({ query, relevant }) => {
    const inside = Object.entries(relevant).filter(([page]) => kept.includes(page));
    return inside.some(([, grade]) => grade === 2) ? [{ query, relevant: Object.fromEntries(inside) }] : [];
  });
  return {
    name: pages ? `Node.js API (${kept.length} pages)` : 'Node.js API',
    collection: 'nodejs',
    documents,
    queries,
    roots: [unpacked],
    documentOfHit: (hit) => basename(String(hit.metadata['source'])).replace(/\.md$/, ''),
    dispose: () => rmSync(unpacked, { recursive: true, force: true }),
  };
}

const corpusFile = new URL('./corpus-packages.json', import.meta.url);

/**
 * The README.md of each package named in corpus-packages.json (the frozen corpus: every README over
 * 2 KB that the lock file installed when the queries were written), so new dependencies cannot change it.
 */
export function readmeCorpus(nodeModules = resolve('node_modules')): CorpusDocument[] {
  const { packages } = JSON.parse(readFileSync(corpusFile, 'utf8')) as { packages: string[] };
  // An optional dependency whose install failed (a native build) is absent: it is left out, not an error.
  return packages.flatMap((name) => {
    const folder = join(nodeModules, ...name.split('/'));
    if (!existsSync(folder)) return [];
    const readme = readdirSync(folder).find((entry) => entry.toLowerCase() === 'readme.md');
    if (!readme) throw new Error(`retrieval corpus: ${name} has no README.md in ${folder}`);
    return [{ name, path: join(folder, readme) }];
  });
}

/** Fraction of the relevant documents among the first `k` ranked. */
export function recallAt(ranked: readonly string[], relevant: Record<string, number>, k: number): number {
  const wanted = Object.keys(relevant);
  const found = ranked.slice(0, k).filter((name) => relevant[name]);
  return found.length / wanted.length;
}

/** Normalized discounted cumulative gain over the first `k`, with gain 2^grade - 1. */
export function ndcgAt(ranked: readonly string[], relevant: Record<string, number>, k: number): number {
  const dcg = (grades: number[]) =>
    grades.slice(0, k).reduce((sum, grade, index) => sum + (2 ** grade - 1) / Math.log2(index + 2), 0);
  const ideal = dcg(Object.values(relevant).sort((a, b) => b - a));
  return ideal === 0 ? 0 : dcg(ranked.map((name) => relevant[name] ?? 0)) / ideal;
}

/** Distinct documents in the order of their best chunk. */
export function rankDocuments(documentsOfHits: readonly string[]): string[] {
  return [...new Set(documentsOfHits)];
}

/** Mean recall@5 and nDCG@10 of a ranking function over the labelled queries. */
export async function score(
  mode: ModeScore['mode'],
  queries: readonly LabelledQuery[],
  rank: (query: string) => Promise<string[]> | string[],
): Promise<ModeScore> {
  let recall = 0;
  let ndcg = 0;
  for (const { query, relevant } of queries) {
    const ranked = await rank(query);
    recall += recallAt(ranked, relevant, 5);
    ndcg += ndcgAt(ranked, relevant, 10);
  }
  return { mode, recallAt5: recall / queries.length, ndcgAt10: ndcg / queries.length };
}

/**
 * Plain Okapi BM25 (k1 1.2, b 0.75; MiniSearch's BM25+ with its delta at 0) over the same chunks the
 * ingestion wrote, made the same way: the yardstick for keyword search.
 */
export async function bm25Ranker(
  corpus: readonly CorpusDocument[],
  settings: Pick<Settings, 'providers'>,
  chunkOptions: { chunkSize?: number } = {},
): Promise<(query: string) => string[]> {
  const options = ingestOptionsSchema.parse({ collection: 'bm25', ...chunkOptions });
  const index = new MiniSearch<{ id: number; document: string; text: string }>({
    fields: ['text'],
    storeFields: ['document'],
  });
  let id = 0;
  const noEmbeddings = async () => {
    throw new Error(`the BM25 yardstick has no embedder (settings: ${Object.keys(settings.providers)})`);
  };
  for (const entry of corpus) {
    const loaded = await readSource(entry.path, {
      roots: [entry.path.slice(0, entry.path.lastIndexOf(sep))],
    });
    for (const chunk of await chunkDocument(loaded.text, loaded.type, options, noEmbeddings)) {
      index.add({ id: id++, document: entry.name, text: chunk.text });
    }
  }
  return (query) =>
    rankDocuments(
      index
        .search(query, { bm25: { k: 1.2, b: 0.75, d: 0 }, combineWith: 'OR' })
        .slice(0, 50)
        .map((result) => result['document'] as string),
    );
}

/** The package a hit's chunk came from: its source is the README's path inside node_modules. */
export function documentOfHit(hit: SearchHit): string {
  return String(hit.metadata['source']).split('/').slice(0, -1).join('/');
}
