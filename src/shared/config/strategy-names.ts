// A module of its own, free of zod, so the CLI can name the strategies in its help without loading settings.

/** Strategies that turn a request into an ordered routing plan. */
export const strategyNames = [
  'failover',
  'round_robin',
  'cost_optimized',
  'task_aware',
  'queue_aware',
] as const;
export type StrategyName = (typeof strategyNames)[number];
