/** A piece of a document, as stored and retrieved. Offsets are character positions in the source text. */
export interface Chunk {
  text: string;
  /** Position of the chunk in its document, from 0. */
  index: number;
  startChar: number;
  endChar: number;
  /** For the markdown chunker: the headings above the chunk, outermost first. */
  headingPath?: string[];
}

/** Numbers chunks in order and drops empty ones. */
export function numbered(pieces: ReadonlyArray<Omit<Chunk, 'index'>>): Chunk[] {
  return pieces.filter((piece) => piece.text.trim() !== '').map((piece, index) => ({ ...piece, index }));
}
