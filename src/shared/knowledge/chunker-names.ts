// A module of its own, free of zod, so the CLI can name the chunkers in its help without loading job schemas.

export const chunkerNames = ['fixed', 'recursive', 'markdown', 'semantic'] as const;
