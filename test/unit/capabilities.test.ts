import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/shared/errors.js';
import {
  detectTaskType,
  parseCapabilities,
  requirementsForTask,
} from '../../src/shared/providers/capabilities.js';

describe('task detection (the seed plan’s keywords, in its order)', () => {
  it.each([
    ['Write a function to calculate the factorial of a number', 'code_generation'],
    ['Implement an algorithm for sorting', 'code_generation'],
    ['Write a story about a lighthouse', 'creative_writing'],
    ['Compose an essay on rivers', 'creative_writing'],
    ['Analyze these sales statistics', 'data_analysis'],
    ['What are the trends in these numbers?', 'data_analysis'],
    ['Extract the dates from this document', 'document_extraction'],
    ['Please find information about the invoice', 'document_extraction'],
    ['Solve this equation: 2x + 3 = 7', 'mathematical_problem_solving'],
    ['Calculate the area of a circle of radius 2', 'mathematical_problem_solving'],
    ['Look at this picture and describe it', 'visual_analysis'],
    ['What is the capital of France?', 'conversational'],
    ['hi', 'conversational'],
  ])('%s → %s', (prompt, task) => {
    expect(detectTaskType(prompt)).toBe(task);
  });

  it('takes the first task in the seed’s order when keywords of several appear', () => {
    // "write" (creative) and "function" (code): code comes first in the seed's list.
    expect(detectTaskType('Write a poem about a function')).toBe('code_generation');
    // "data" (analysis) before "calculate" (math).
    expect(detectTaskType('Calculate the mean of this data')).toBe('data_analysis');
    // Substring matching, as the seed's `in`: "decode" contains "code".
    expect(detectTaskType('Decode the message for me')).toBe('code_generation');
  });

  it('gives each task the seed’s requirements and rejects unknown task types by name', () => {
    expect(requirementsForTask('code_generation')).toEqual({ code: 3, reasoning: 2 });
    expect(requirementsForTask('conversational')).toEqual({ chat: 3 });
    expect(requirementsForTask('data_analysis')).toEqual({ structured: 2, reasoning: 3, math: 2 });
    expect(() => requirementsForTask('poetry')).toThrow(ValidationError);
    expect(() => requirementsForTask('poetry')).toThrow(
      /taskType: expected one of code_generation, creative_writing/,
    );
  });
});

describe('parseCapabilities', () => {
  it('reads lists with spaces or commas; a bare name means moderate', () => {
    expect(parseCapabilities(['code:strong', 'reasoning:moderate'])).toEqual({ code: 3, reasoning: 2 });
    expect(parseCapabilities(['code:exceptional,vision', 'Math:BASIC'])).toEqual({
      code: 4,
      vision: 2,
      math: 1,
    });
  });

  it('names an unknown capability or strength instead of guessing', () => {
    expect(() => parseCapabilities(['telepathy:strong'])).toThrow(/unknown capability 'telepathy'/);
    expect(() => parseCapabilities(['code:mighty'])).toThrow(/unknown strength 'mighty' for code/);
  });
});
