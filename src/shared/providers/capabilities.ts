import { ValidationError } from '../errors.js';

/** Strength names, as the seed's CapabilityStrength: none 0 … exceptional 4. */
export const strengths = { none: 0, basic: 1, moderate: 2, strong: 3, exceptional: 4 } as const;
export type StrengthName = keyof typeof strengths;

/**
 * The seed plan's capabilities (operational: inexpensive, efficient, premium, vision; tasks: code,
 * reasoning, creative, extraction, math, multimedia, structured, chat; domains: science, finance, legal,
 * medical), plus the finer ones the catalogue also rates.
 */
export const capabilityNames = [
  'inexpensive',
  'efficient',
  'premium',
  'vision',
  'code',
  'reasoning',
  'creative',
  'extraction',
  'math',
  'multimedia',
  'structured',
  'chat',
  'science',
  'finance',
  'legal',
  'medical',
  // finer ratings kept in the catalogue
  'standard',
  'streaming',
  'logic',
  'analysis',
  'summarization',
  'formatting',
  'tool_use',
  'json_output',
  'technical',
  'multilingual',
  'embedding',
  'lexical',
] as const;
export type CapabilityName = (typeof capabilityNames)[number];

/** Minimum strength per capability that a task needs. */
export type Requirements = Record<string, number>;

/** The seed plan's task types and what each requires. */
export const taskRequirements: Readonly<Record<string, Requirements>> = {
  code_generation: { code: 3, reasoning: 2 },
  creative_writing: { creative: 3, chat: 2 },
  data_analysis: { structured: 2, reasoning: 3, math: 2 },
  document_extraction: { extraction: 3, structured: 2 },
  mathematical_problem_solving: { math: 3, reasoning: 3 },
  conversational: { chat: 3 },
  visual_analysis: { vision: 3, reasoning: 2 },
};
export const taskTypes = Object.keys(taskRequirements);

/** The seed plan's keywords, checked in this order; the first task with a keyword in the prompt wins. */
const taskKeywords: ReadonlyArray<[string, readonly string[]]> = [
  ['code_generation', ['code', 'function', 'program', 'algorithm', 'implement']],
  ['creative_writing', ['creative', 'write', 'story', 'poem', 'essay']],
  ['data_analysis', ['analyze', 'data', 'statistics', 'trends', 'numbers']],
  ['document_extraction', ['extract', 'document', 'find information', 'get data from']],
  ['mathematical_problem_solving', ['math', 'calculate', 'solve', 'equation']],
  ['visual_analysis', ['image', 'picture', 'photo', 'visual', 'look at']],
];

/** The seed's heuristic: a case-insensitive substring match of its keywords; nothing matched is conversational. */
export function detectTaskType(prompt: string): string {
  const lower = prompt.toLowerCase();
  return (
    taskKeywords.find(([, keywords]) => keywords.some((keyword) => lower.includes(keyword)))?.[0] ??
    'conversational'
  );
}

/**
 * Stricter than the seed, which gave an unknown task type no requirements (and so the given order): a
 * misspelt task type would silently change routing, so here it is an error naming it.
 */
export function requirementsForTask(taskType: string): Requirements {
  // Own properties only: `constructor` or `__proto__` are not task types.
  const requirements = Object.hasOwn(taskRequirements, taskType) ? taskRequirements[taskType] : undefined;
  if (!requirements)
    throw new ValidationError('taskType', `expected one of ${taskTypes.join(', ')}, got '${taskType}'`);
  return { ...requirements };
}

/**
 * Parses `code:strong reasoning:moderate` (as a list, or comma-separated); a bare name means moderate.
 * Stricter than the seed, which kept unknown names and read unknown strengths as moderate: a typo in
 * a capability would silently route nowhere, so here it is an error naming it.
 */
export function parseCapabilities(list: readonly string[]): Requirements {
  const requirements: Requirements = {};
  for (const part of list
    .flatMap((item) => item.split(','))
    .map((item) => item.trim())
    .filter(Boolean)) {
    const pieces = part.split(':');
    if (pieces.length > 2)
      throw new ValidationError(
        'capabilities',
        `expected name or name:strength (such as code:strong), got '${part}'`,
      );
    const [rawName, rawStrength] = pieces as [string, string | undefined];
    const name = rawName.trim().toLowerCase();
    if (!(capabilityNames as readonly string[]).includes(name)) {
      throw new ValidationError(
        'capabilities',
        `unknown capability '${rawName}'; expected one of ${capabilityNames.join(', ')}`,
      );
    }
    const strengthName = (rawStrength ?? 'moderate').trim().toLowerCase();
    const strength = Object.hasOwn(strengths, strengthName)
      ? strengths[strengthName as StrengthName]
      : undefined;
    if (strength === undefined || strength === 0) {
      throw new ValidationError(
        'capabilities',
        `unknown strength '${rawStrength}' for ${name}; expected basic, moderate, strong or exceptional`,
      );
    }
    requirements[name] = strength;
  }
  return requirements;
}
