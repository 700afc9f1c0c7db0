import { chatModel, embeddingModel, type ModelInfo } from '../model-info.js';

/** The built-in catalogue entries of mock models (prices and windows as of the catalogue's date). */
export const mockModels: readonly ModelInfo[] = [
  chatModel('mock', 'mock-standard', [0, 0], 32_768, {
    chat: 2,
    structured: 2,
    standard: 2,
    streaming: 2,
    inexpensive: 4,
    efficient: 4,
    tool_use: 2,
    json_output: 2,
    reasoning: 2,
    code: 2,
    creative: 2,
    summarization: 2,
    extraction: 2,
    technical: 2,
  }),
  chatModel('mock', 'mock-basic', [0, 0], 8_192, {
    chat: 1,
    standard: 1,
    streaming: 1,
    inexpensive: 4,
    reasoning: 1,
  }),
  chatModel('mock', 'mock-advanced', [0, 0], 128_000, {
    chat: 3,
    structured: 3,
    vision: 2,
    standard: 3,
    streaming: 3,
    inexpensive: 4,
    tool_use: 3,
    json_output: 3,
    reasoning: 3,
    logic: 3,
    math: 3,
    analysis: 3,
    code: 3,
    creative: 3,
    summarization: 3,
    extraction: 3,
    technical: 3,
    multilingual: 3,
  }),
  { ...embeddingModel('mock', 'mock-embed', 0, 1024, 1_000_000), capabilities: { embedding: 1, lexical: 1 } },
];

/** The chat (and embedding) model an instance uses when a request names none. */
export const mockDefaultModels = { chat: 'mock-standard', embedding: 'mock-embed' };
