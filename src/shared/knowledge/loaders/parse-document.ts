import { parse as parseCsv } from 'csv-parse/sync';
import { convert as htmlToText } from 'html-to-text';
import mammoth from 'mammoth';
import { ValidationError } from '../../errors.js';
import type { DocumentType, LoadedDocument } from './loaded-document.js';

/** Turns a document's bytes into text with the format's own parser; a corrupt document is an error naming it. */
export async function parseDocument(
  source: string,
  type: DocumentType,
  bytes: Uint8Array,
): Promise<LoadedDocument> {
  try {
    const parsed = await parsers[type](bytes);
    return { source, type, text: parsed.text, metadata: parsed.metadata ?? {} };
  } catch (error) {
    if (error instanceof ValidationError) throw error;
    throw new ValidationError(
      source,
      `cannot read it as ${type}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

type Parser = (bytes: Uint8Array) => Promise<{ text: string; metadata?: Record<string, string | number> }>;

const utf8 = (bytes: Uint8Array) => new TextDecoder('utf-8', { fatal: true }).decode(bytes);

const parsers: Record<DocumentType, Parser> = {
  txt: async (bytes) => ({ text: utf8(bytes) }),
  md: async (bytes) => {
    const text = utf8(bytes);
    const title = /^#\s+(.+)$/m.exec(text)?.[1]?.trim();
    return { text, ...(title ? { metadata: { title } } : {}) };
  },
  html: async (bytes) => {
    const html = utf8(bytes);
    const title = /<title[^>]*>([^<]*)<\/title>/i.exec(html)?.[1]?.trim();
    const text = htmlToText(html, {
      wordwrap: false,
      selectors: [
        { selector: 'a', options: { ignoreHref: true } },
        { selector: 'img', format: 'skip' },
      ],
    });
    return { text, ...(title ? { metadata: { title } } : {}) };
  },
  pdf: async (bytes) => {
    const { getDocument } = await import('pdfjs-dist/legacy/build/pdf.mjs');
    const pdf = await getDocument({
      data: new Uint8Array(bytes),
      useSystemFonts: false,
      isEvalSupported: false,
      verbosity: 0,
    }).promise;
    const pages: string[] = [];
    for (let number = 1; number <= pdf.numPages; number++) {
      const page = await pdf.getPage(number);
      const content = await page.getTextContent();
      pages.push(
        content.items.map((item) => ('str' in item ? item.str + (item.hasEOL ? '\n' : '') : '')).join(''),
      );
    }
    await pdf.destroy();
    return { text: pages.join('\n\n'), metadata: { pages: pages.length } };
  },
  docx: async (bytes) => ({ text: (await mammoth.extractRawText({ buffer: Buffer.from(bytes) })).value }),
  json: async (bytes) => ({ text: JSON.stringify(JSON.parse(utf8(bytes)), null, 2) }),
  jsonl: async (bytes) => {
    const lines = utf8(bytes)
      .split('\n')
      .filter((line) => line.trim());
    return {
      text: lines.map((line) => JSON.stringify(JSON.parse(line), null, 2)).join('\n\n'),
      metadata: { records: lines.length },
    };
  },
  csv: async (bytes) => {
    const rows = parseCsv(utf8(bytes), { columns: true, skip_empty_lines: true }) as Array<
      Record<string, string>
    >;
    // One paragraph per row, each cell labelled by its column, so a row reads on its own once chunked.
    const text = rows
      .map((row) =>
        Object.entries(row)
          .map(([column, value]) => `${column}: ${value}`)
          .join('\n'),
      )
      .join('\n\n');
    return { text, metadata: { rows: rows.length } };
  },
};
