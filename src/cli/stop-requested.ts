/** Why a long-running command stops: a signal, or an error nothing caught. */
export type StopReason = { signal: NodeJS.Signals } | { error: unknown };

/**
 * The first SIGINT or SIGTERM, or the first error nothing caught: left to Node, such an error would end
 * the process at once, running jobs and open connections abandoned; heard here, the command closes
 * what it runs (bounded) and exits non-zero. Listeners are removed once one fires, so a second signal
 * or error takes Node's default course.
 */
export function stopRequested(): Promise<StopReason> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      off();
      resolve({ signal });
    };
    const onError = (error: unknown) => {
      off();
      resolve({ error });
    };
    const off = () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      process.off('uncaughtException', onError);
      process.off('unhandledRejection', onError);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    process.on('uncaughtException', onError);
    process.on('unhandledRejection', onError);
  });
}
