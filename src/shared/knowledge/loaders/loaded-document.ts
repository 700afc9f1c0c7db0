/** A document as read from its source, before chunking. */
export interface LoadedDocument {
  /** Where it came from: a path relative to its root, or a URL. */
  source: string;
  type: DocumentType;
  text: string;
  /** Title, page count and the like, when the format has them. */
  metadata: Record<string, string | number>;
}

export const documentTypes = ['txt', 'md', 'html', 'pdf', 'docx', 'json', 'jsonl', 'csv'] as const;
export type DocumentType = (typeof documentTypes)[number];

const byExtension: Record<string, DocumentType> = {
  txt: 'txt',
  text: 'txt',
  md: 'md',
  markdown: 'md',
  html: 'html',
  htm: 'html',
  pdf: 'pdf',
  docx: 'docx',
  json: 'json',
  jsonl: 'jsonl',
  ndjson: 'jsonl',
  csv: 'csv',
};

/** The type a file name or URL path says it has; undefined for formats Atlas does not read. */
export function typeOf(name: string): DocumentType | undefined {
  const extension = /\.([A-Za-z0-9]+)$/.exec(name.split(/[?#]/)[0] ?? '')?.[1]?.toLowerCase();
  return extension ? byExtension[extension] : undefined;
}
