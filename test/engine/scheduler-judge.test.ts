/**
 * The GPU scheduler check's rules (test/support/scheduler-judge.ts) on synthetic runs: every token
 * of the batched run is compared with the solo decode (a difference late in the text fails unless
 * the solo run was at a near tie there), and a run that never finishes fails by name at its deadline.
 */
import { describe, expect, it } from 'vitest';
import { passed } from '../support/bf16-golden-check.js';
import {
  compareWithSolo,
  type GeneratorLike,
  runScheduled,
  type SchedulerEvent,
  type SoloDecode,
  schedulerLines,
} from '../support/scheduler-judge.js';

/** A solo decode of `length` tokens, every choice clear (margin 3) except where `ties` says. */
function solo(length: number, ties: Record<number, number> = {}): SoloDecode {
  return {
    tokens: Array.from({ length }, (_, t) => 3 + ((t * 7) % 1000)),
    margins: Array.from({ length }, (_, t) => ties[t] ?? 3),
  };
}

const failing = (lines: ReturnType<typeof schedulerLines>) => lines.filter((line) => !passed(line));

describe('scheduler tokens against the solo decode', () => {
  it('fails a token that differs at position 200 of 216', () => {
    const reference = solo(216);
    const got = [...reference.tokens];
    got[200] = 5;
    const comparison = compareWithSolo(got, reference, 0.5);
    expect(comparison).toEqual({ compared: 201, firstDifference: 200, nearTie: false });
    const lines = schedulerLines('tiny scheduler', new Map([['tiny/text', comparison]]), [], []);
    expect(failing(lines).map((line) => line.where)).toEqual(['tiny scheduler: tiny/text at token 200']);
  });

  it('passes identical tokens, all of them compared', () => {
    const reference = solo(216);
    const comparison = compareWithSolo([...reference.tokens], reference, 0.5);
    expect(comparison).toEqual({ compared: 216, firstDifference: -1, nearTie: false });
    expect(failing(schedulerLines('tiny scheduler', new Map([['tiny/text', comparison]]), [], []))).toEqual(
      [],
    );
  });

  it('accepts a difference only where the solo run was at a near tie', () => {
    const reference = solo(216, { 150: 0.2 });
    const got = [...reference.tokens];
    got[150] = 9;
    expect(compareWithSolo(got, reference, 0.5).nearTie).toBe(true);
    expect(compareWithSolo(got, reference, 1e-3).nearTie).toBe(false);
    const lines = schedulerLines(
      'small scheduler',
      new Map([['small/wide', compareWithSolo(got, reference, 0.5)]]),
      [],
      [],
    );
    expect(failing(lines)).toEqual([]);
  });

  it('fails a run that stops early or writes more than the solo decode', () => {
    const reference = solo(12);
    expect(compareWithSolo(reference.tokens.slice(0, 11), reference, 0.5).firstDifference).toBe(11);
    expect(compareWithSolo([...reference.tokens, 4], reference, 0.5)).toMatchObject({
      firstDifference: 12,
      nearTie: false,
    });
  });
});

/** A generator that answers each request after a few ms with its tokens, except those named stuck. */
function fakeGenerator(stuck: Set<number>, closed: { count: number }) {
  return (onEvents: (events: SchedulerEvent[]) => void): GeneratorLike => {
    let next = 1;
    return {
      submit: () => {
        const id = next++;
        if (!stuck.has(id))
          setTimeout(
            () =>
              onEvents([
                { requestId: id, token: 7 },
                { requestId: id, token: 1, finish: 'stop' },
              ]),
            5,
          );
        return id;
      },
      close: () => {
        closed.count++;
      },
    };
  };
}

describe('scheduler run deadline', () => {
  it('collects every request that finishes', async () => {
    const closed = { count: 0 };
    const run = await runScheduled(
      fakeGenerator(new Set(), closed),
      [{ name: 'tiny/text', request: {} }],
      5_000,
    );
    expect(run.unfinished).toEqual([]);
    expect(run.tokens.get('tiny/text')).toEqual([7, 1]);
    expect(closed.count).toBe(1);
  });

  it('ends a stuck run at its deadline and fails it by the case name', async () => {
    const closed = { count: 0 };
    const started = Date.now();
    const run = await runScheduled(
      fakeGenerator(new Set([2]), closed),
      [
        { name: 'tiny/text', request: {} },
        { name: 'tiny/wide', request: {} },
      ],
      200,
    );
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(run.unfinished).toEqual(['tiny/wide']);
    expect(closed.count).toBe(1);
    const lines = schedulerLines('tiny scheduler', new Map(), run.failures, run.unfinished);
    expect(failing(lines).map((line) => line.where)).toEqual([
      'tiny scheduler: tiny/wide still open at the deadline',
    ]);
  }, 10_000); // a run without its deadline fails here instead of waiting for the stuck request
});
