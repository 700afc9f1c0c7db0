import { ValidationError } from '../errors.js';

/** Strength names, as the seed's CapabilityStrength: none 0 … exceptional 4. */
export const strengths = { none: 0, basic: 1, moderate: 2, strong: 3, exceptional: 4 } as const;
export type StrengthName = keyof typeof strengths;

export const capabilityNames = [
  // operational
  'inexpensive',
  'efficient',
  'premium',
  'standard',
  'streaming',
  'vision',
  // tasks
  'reasoning',
  'logic',
  'math',
  'analysis',
  'code',
  'creative',
  'summarization',
  'extraction',
  'formatting',
  'tool_use',
  'json_output',
  // domains
  'science',
  'finance',
  'legal',
  'medical',
  'technical',
  'multilingual',
  // embedding models
  'embedding',
  'lexical',
] as const;
export type CapabilityName = (typeof capabilityNames)[number];

/** Minimum strength per capability that a task needs. */
export type Requirements = Record<string, number>;

export const taskRequirements: Readonly<Record<string, Requirements>> = {
  conversational: { reasoning: 2, standard: 2 },
  code_generation: { code: 3, reasoning: 2, technical: 2 },
  summarization: { summarization: 3, reasoning: 2 },
  creative_writing: { creative: 3, reasoning: 2 },
  data_analysis: { analysis: 3, reasoning: 3, math: 2 },
  information_extraction: { extraction: 3, reasoning: 2 },
  translation: { multilingual: 3 },
  math_problem_solving: { math: 3, reasoning: 3 },
};
export const taskTypes = Object.keys(taskRequirements);

/** The seed's detection patterns, in its order (the first of equally confident tasks wins). */
const detectionPatterns: ReadonlyArray<[string, RegExp[]]> = [
  [
    'code_generation',
    [
      /(?:write|generate|create|implement|code)\s+(?:a|some|the)?\s*(?:code|function|class|implementation|program)/i,
      /how\s+(?:do|would)\s+I\s+(?:code|program|implement|write)/i,
      /(?:can|could)\s+you\s+(?:write|create|generate|code)\s+(?:a|some|the)\s+(?:code|implementation)/i,
    ],
  ],
  [
    'summarization',
    [
      /(?:summarize|summarization|summary|tldr|tl;dr)/i,
      /(?:can|could)\s+you\s+(?:summarize|provide\s+a\s+summary)/i,
      /(?:give|provide)\s+(?:me|us)?\s+(?:a|the)\s+(?:brief|short|quick|concise)?\s*summary/i,
    ],
  ],
  [
    'creative_writing',
    [
      /(?:write|compose|create)\s+(?:a|an|the)?\s*(?:story|poem|essay|article|blog|fiction)/i,
      /(?:creative|imaginative|fictional|poetic|artistic)\s+(?:writing|composition|text|content)/i,
      /(?:can|could)\s+you\s+(?:write|create|compose)\s+(?:something|anything)\s+(?:creative|imaginative)/i,
    ],
  ],
  [
    'data_analysis',
    [
      /(?:analyze|analyse|analysis|evaluate|examine)\s+(?:this|the|these|that|my)?\s*(?:data|dataset|numbers|metrics|statistics)/i,
      /(?:what|find|identify)\s+(?:patterns|trends|insights|conclusions|correlations|relationship)/i,
      /(?:can|could)\s+you\s+(?:analyze|analyse|evaluate|interpret)\s+(?:this|the|these|that|my)/i,
    ],
  ],
  [
    'information_extraction',
    [
      /(?:extract|pull|identify|find|list)\s+(?:all|the|every|each)?\s*(?:entities|names|dates|information|values|facts)/i,
      /(?:information|data)\s+extraction/i,
      /(?:can|could)\s+you\s+(?:extract|identify|find|list)\s+(?:all|the)?\s*(?:key|important|relevant)?\s*(?:information|data|facts)/i,
    ],
  ],
  [
    'translation',
    [
      /(?:translate|translation|convert)\s+(?:this|the|following|these|that|my)?\s*(?:text|content|sentence|paragraph|document|phrase)/i,
      /(?:from|in)\s+(?:[a-z]+)\s+(?:to|into)\s+(?:[a-z]+)/i,
      /(?:can|could)\s+you\s+(?:translate|convert)\s+(?:this|the|following)/i,
    ],
  ],
  [
    'math_problem_solving',
    [
      /(?:solve|calculate|compute|evaluate|find)\s+(?:this|the|following|these)?\s*(?:math|mathematical|problem|equation|expression)/i,
      /(?:what|find)\s+(?:is|the)\s+(?:value|solution|result|answer)/i,
      /(?:can|could)\s+you\s+(?:solve|calculate|compute|evaluate|find)\s+(?:this|the)/i,
    ],
  ],
];

/**
 * The seed's heuristic: each task's confidence is the share of its patterns that match; the most
 * confident task wins if at least half its patterns match, otherwise (or for prompts under 10
 * characters) the prompt is conversational.
 */
export function detectTaskType(prompt: string): string {
  if (prompt.length < 10) return 'conversational';
  let best: { task: string; confidence: number } | undefined;
  for (const [task, patterns] of detectionPatterns) {
    const matches = patterns.filter((pattern) => pattern.test(prompt)).length;
    const confidence = matches / patterns.length;
    if (matches > 0 && (!best || confidence > best.confidence)) best = { task, confidence };
  }
  return best && best.confidence >= 0.5 ? best.task : 'conversational';
}

export function requirementsForTask(taskType: string): Requirements {
  const requirements = taskRequirements[taskType];
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
    const [rawName, rawStrength] = part.split(':', 2) as [string, string | undefined];
    const name = rawName.trim().toLowerCase();
    if (!(capabilityNames as readonly string[]).includes(name)) {
      throw new ValidationError(
        'capabilities',
        `unknown capability '${rawName}'; expected one of ${capabilityNames.join(', ')}`,
      );
    }
    const strengthName = (rawStrength ?? 'moderate').trim().toLowerCase();
    const strength = strengths[strengthName as StrengthName];
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
