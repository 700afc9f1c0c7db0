import type { SearchHit } from '../shared/knowledge/vector-store.js';

/** The generation request of a RAG answer: the question with the retrieved chunks numbered as sources. */
export function promptWithSources(
  question: string,
  hits: readonly SearchHit[],
): { system: string; prompt: string } {
  const sources = hits
    .map(
      (hit, index) =>
        `[${index + 1}] (${hit.metadata['source'] ?? hit.documentId}) ${hit.text.replace(/\s+/g, ' ').trim()}`,
    )
    .join('\n');
  return {
    system:
      'Answer the question from the numbered sources only. Cite the sources you use as [n]. If they do not hold the answer, say so.',
    prompt: `Sources:\n${sources || '(none found)'}\n\nQuestion: ${question}`,
  };
}
