import type { Command } from 'commander';
import { printJson, printTable } from '../output.js';

export function registerDoctorCommand(program: Command): void {
  program
    .command('doctor')
    .description(
      'check a deployment (Redis, workers, breakers, stuck requests, the knowledge store) and say what to fix',
    )
    .option('--json', 'print as JSON')
    .action(async (options: { json?: boolean }) => {
      const [{ openRuntime }, { createKeys }, { createRedis }, { GenerationQueues }, { checkDeployment }] =
        await Promise.all([
          import('../runtime.js'),
          import('../../shared/keys.js'),
          import('../../shared/redis.js'),
          import('../../shared/requests/generation-queues.js'),
          import('../../shared/deployment-checks.js'),
        ]);
      const runtime = await openRuntime({ startRedisIfMissing: false });
      const redis = createRedis(runtime.settings.redis.url);
      const keys = createKeys(runtime.settings.redis.prefix);
      const queues = new GenerationQueues(redis, keys, runtime.settings.workers);
      try {
        const findings = await checkDeployment({ redis, keys, queues, settings: runtime.settings });
        if (options.json) printJson(findings);
        else {
          printTable(findings.map(({ check, status, detail }) => ({ status, check, detail })));
          for (const finding of findings.filter((entry) => entry.fix))
            console.log(
              `${finding.status === 'fail' ? 'fix' : 'consider'}: ${finding.check}: ${finding.fix}`,
            );
        }
        if (findings.some((finding) => finding.status === 'fail')) process.exitCode = 1;
      } finally {
        await queues.close();
        redis.disconnect();
        await runtime.close();
      }
    });
}
