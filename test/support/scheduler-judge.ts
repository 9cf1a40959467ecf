/**
 * The scheduler check of test/support/bf16-golden-check.ts: every case through the scheduler at
 * once (prompts chunked, computed beside other requests' decoding) must write, token for token,
 * what the same device writes for that case alone (unbatched greedy decode). The only accepted
 * difference is a near tie in the solo run (top-2 margin within the device's greedy rule), after
 * which the two texts are different texts and are not compared further. The run has a deadline:
 * requests still open then fail the check by name instead of hanging it.
 * Pure over tokens and margins (and a scheduler-shaped object), so unit-tested without a model.
 */
import type { CheckLine } from './bf16-golden-check.js';

/** One case decoded alone: its greedy tokens and the top-2 logit margin each was chosen with. */
export interface SoloDecode {
  tokens: number[];
  margins: number[];
}

export interface TokenComparison {
  /** Positions compared (up to the first difference, or all). */
  compared: number;
  /** The first position where the tokens differ, or -1. */
  firstDifference: number;
  /** Whether that difference is a near tie of the solo run (accepted). */
  nearTie: boolean;
}

/** Compares every token of `got` with the solo decode; a missing or extra token is a difference too. */
export function compareWithSolo(
  got: readonly number[],
  solo: SoloDecode,
  tieMargin: number,
): TokenComparison {
  const length = Math.max(got.length, solo.tokens.length);
  for (let t = 0; t < length; t++) {
    if (got[t] !== solo.tokens[t]) {
      const margin = solo.margins[t];
      return { compared: t + 1, firstDifference: t, nearTie: margin !== undefined && margin <= tieMargin };
    }
  }
  return { compared: length, firstDifference: -1, nearTie: false };
}

/** The lines of a scheduler run: differences off a near tie, failed requests, and requests open at the deadline. */
export function schedulerLines(
  where: string,
  comparisons: ReadonlyMap<string, TokenComparison>,
  failures: readonly string[],
  unfinished: readonly string[],
): CheckLine[] {
  const differing = [...comparisons].filter(([, c]) => c.firstDifference >= 0 && !c.nearTie);
  const compared = [...comparisons.values()].reduce((sum, c) => sum + c.compared, 0);
  return [
    { where, check: 'requests that failed', value: failures.length, limit: 0 },
    {
      where: unfinished.length ? `${where}: ${unfinished.join(', ')} still open at the deadline` : where,
      check: 'requests open at the deadline',
      value: unfinished.length,
      limit: 0,
    },
    {
      where: differing.length
        ? `${where}: ${differing.map(([name, c]) => `${name} at token ${c.firstDifference}`).join(', ')}`
        : `${where} (${compared} tokens compared)`,
      check: 'tokens unlike the solo decode (no near tie)',
      value: differing.length,
      limit: 0,
    },
  ];
}

/** What the run needs of the native generator (NativeGenerator). */
export interface GeneratorLike {
  submit(request: unknown): number;
  close(): void;
}

export interface SchedulerEvent {
  requestId: number;
  token?: number;
  finish?: string;
  error?: string;
}

export interface ScheduledRun {
  tokens: Map<string, number[]>;
  failures: string[];
  /** Names of the requests that had not finished at the deadline. */
  unfinished: string[];
}

/**
 * Submits every request to one generator and waits for all of them to finish, at most `deadlineMs`;
 * then closes the generator (which aborts whatever is still open).
 */
export async function runScheduled(
  open: (onEvents: (events: SchedulerEvent[]) => void) => GeneratorLike,
  requests: ReadonlyArray<{ name: string; request: unknown }>,
  deadlineMs: number,
): Promise<ScheduledRun> {
  const tokens = new Map<string, number[]>(requests.map(({ name }) => [name, []]));
  const failures: string[] = [];
  const pending = new Map<number, string>();
  let allDone!: () => void;
  const finished = new Promise<void>((resolve) => {
    allDone = resolve;
  });
  const generator = open((events) => {
    for (const event of events) {
      const name = pending.get(event.requestId);
      if (name === undefined) continue;
      if (event.token !== undefined) tokens.get(name)?.push(event.token);
      if (event.error) failures.push(`${name}: ${event.error}`);
      if (event.finish) {
        pending.delete(event.requestId);
        if (!pending.size) allDone();
      }
    }
  });
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    for (const { name, request } of requests) pending.set(generator.submit(request), name);
    if (!pending.size) allDone();
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, deadlineMs);
    });
    await Promise.race([finished, deadline]);
    return { tokens, failures, unfinished: [...pending.values()] };
  } finally {
    clearTimeout(timer);
    generator.close();
  }
}
