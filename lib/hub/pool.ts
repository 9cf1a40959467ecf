/** A bounded pool for the pull's file downloads: a few at a time, the first failure stops the rest. */
import { AbortError } from '../errors.js';

/**
 * Runs tasks at most `limit` at a time. On the first failure the shared signal aborts the others
 * (their partial files stay for the next pull) and that failure is rethrown; an abort of `outer`
 * ends the run with an AbortError.
 */
export async function runPool(
  tasks: ((signal: AbortSignal) => Promise<void>)[],
  limit: number,
  outer: AbortSignal | undefined,
): Promise<void> {
  if (outer?.aborted) throw new AbortError('the pull was aborted');
  const controller = new AbortController();
  const onOuterAbort = () => controller.abort(new AbortError('the pull was aborted'));
  outer?.addEventListener('abort', onOuterAbort, { once: true });
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (next < tasks.length && !controller.signal.aborted) {
      const task = tasks[next++] as (signal: AbortSignal) => Promise<void>;
      try {
        await task(controller.signal);
      } catch (error) {
        failure ??= { error: controller.signal.aborted ? controller.signal.reason : error };
        controller.abort(error);
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  } finally {
    outer?.removeEventListener('abort', onOuterAbort);
  }
  if (outer?.aborted) throw new AbortError('the pull was aborted');
  if (failure) throw failure.error;
}
