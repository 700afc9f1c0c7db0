import { getEncoding, type Tiktoken } from 'js-tiktoken';

let encoding: Tiktoken | undefined;

/** cl100k_base, the tokenizer of OpenAI's embedding models: sizes in tokens mean what an embedder sees. */
export function tokenizer(): Tiktoken {
  encoding ??= getEncoding('cl100k_base');
  return encoding;
}

export function countTokens(text: string): number {
  return tokenizer().encode(text).length;
}
