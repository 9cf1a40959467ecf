/**
 * The real-shape check's routing-flip rules (test/support/routing-judge.ts) on synthetic captures:
 * flips are bounded to 2% of the rows, and a flip passes only where the router scores agree, the
 * CPU's choice was a near tie and the GPU chose the top-k of its own scores.
 */
import { describe, expect, it } from 'vitest';
import { passed } from '../support/bf16-golden-check.js';
import {
  type CapturedRouting,
  FlipLedger,
  firstRoutingFlip,
  flipChecks,
  flipShareLine,
  type RouterSelection,
  topKOfScores,
} from '../support/routing-judge.js';

const greedy: RouterSelection = { topK: 2, method: 'greedy', groups: 1, topkGroups: 1 };

/** Softmax-like scores over 8 experts: clear winner 0, then 1 and 2 close, the rest well below. */
const cpuScores = [0.3, 0.2, 0.199, 0.12, 0.08, 0.05, 0.03, 0.021];

/** One row, one MoE layer: the experts given (ascending) and their scores. */
function capture(scores: number[], experts: number[]): CapturedRouting {
  return {
    experts: Int32Array.from([...experts].sort((a, b) => a - b)),
    scores: Float32Array.from(scores),
    rows: 1,
  };
}

const failing = (lines: ReturnType<typeof flipChecks>) =>
  lines.filter((line) => !passed(line)).map((l) => l.check);

describe('routing flips: how many may be left out', () => {
  it('fails at 3% of the judged rows and passes at 1%', () => {
    expect(passed(flipShareLine('tiny routing', 3, 100))).toBe(false);
    expect(passed(flipShareLine('tiny routing', 1, 100))).toBe(true);
  });

  it('counts each row once however many of its comparisons were left out', () => {
    const ledger = new FlipLedger();
    for (let row = 0; row < 100; row++) ledger.judge(`row ${row}`);
    ledger.leaveOut('row 7');
    ledger.leaveOut('row 7');
    expect(ledger.line('x').value).toBeCloseTo(1 / 100);
    ledger.leaveOut('row 8');
    ledger.leaveOut('row 9');
    expect(passed(ledger.line('x'))).toBe(false);
  });

  it('tallies rows that routed differently apart from rows left out', () => {
    const ledger = new FlipLedger();
    for (let row = 0; row < 10; row++) ledger.judge(`row ${row}`);
    for (const row of ['row 1', 'row 2', 'row 2']) ledger.flip(row);
    ledger.leaveOut('row 2');
    expect(ledger.tally()).toEqual({ rows: 10, flipped: 2, leftOut: 1 });
  });
});

describe('routing flips: each flip is checked', () => {
  it('finds the first MoE layer where a row routed differently', () => {
    // 2 layers, 2 rows, top-2: row 1 differs in layer 1 only.
    const cpu: CapturedRouting = {
      experts: Int32Array.from([0, 1, 2, 3, 0, 1, 2, 3]),
      scores: new Float32Array(32),
      rows: 2,
    };
    const gpu: CapturedRouting = {
      experts: Int32Array.from([0, 1, 2, 3, 0, 1, 2, 4]),
      scores: new Float32Array(32),
      rows: 2,
    };
    expect(firstRoutingFlip(gpu, cpu, 0, 2)).toBe(-1);
    expect(firstRoutingFlip(gpu, cpu, 1, 2)).toBe(1);
  });

  it('passes a near tie that bf16 flipped, with scores that agree', () => {
    const gpuScores = [0.3001, 0.1995, 0.1996, 0.1201, 0.0799, 0.05, 0.03, 0.021];
    const lines = flipChecks('row', capture(gpuScores, [0, 2]), capture(cpuScores, [0, 1]), 0, 0, greedy);
    expect(lines).toHaveLength(3);
    expect(failing(lines)).toEqual([]);
  });

  it('fails router scores that disagree (a wrong gate weight)', () => {
    const gpuScores = [0.3, 0.1, 0.299, 0.12, 0.08, 0.05, 0.03, 0.021];
    expect(
      failing(flipChecks('row', capture(gpuScores, [0, 2]), capture(cpuScores, [0, 1]), 0, 0, greedy)),
    ).toEqual(['router scores rel. error (spread)']);
  });

  it('fails a flip that is no near tie on the CPU (a top-k bug), scores agreeing', () => {
    // The GPU takes expert 5 over expert 1: the CPU ranks them 0.15 apart.
    const lines = flipChecks('row', capture(cpuScores, [0, 5]), capture(cpuScores, [0, 1]), 0, 0, greedy);
    expect(failing(lines)).toEqual(['CPU score gap of swapped experts', 'GPU experts off its own top-k']);
  });

  it('fails GPU experts that are not the top-k of its own scores, even at a near tie', () => {
    // Scores favour 1 on both sides, yet the GPU reports 2.
    expect(
      failing(flipChecks('row', capture(cpuScores, [0, 2]), capture(cpuScores, [0, 1]), 0, 0, greedy)),
    ).toEqual(['GPU experts off its own top-k']);
  });

  it('reads the flipping layer and row out of a batch', () => {
    // 2 layers x 2 rows x 8 experts; row 1 flips in layer 1 with a disagreeing score there only.
    const rows = (first: number[], second: number[]) => [...cpuScores, ...cpuScores, ...first, ...second];
    const cpu: CapturedRouting = {
      experts: Int32Array.from([0, 1, 0, 1, 0, 1, 0, 1]),
      scores: Float32Array.from(rows(cpuScores, cpuScores)),
      rows: 2,
    };
    const broken = [0.3, 0.1, 0.299, 0.12, 0.08, 0.05, 0.03, 0.021];
    const gpu: CapturedRouting = {
      experts: Int32Array.from([0, 1, 0, 1, 0, 1, 0, 2]),
      scores: Float32Array.from(rows(cpuScores, broken)),
      rows: 2,
    };
    const layer = firstRoutingFlip(gpu, cpu, 1, 2);
    expect(layer).toBe(1);
    expect(failing(flipChecks('row', gpu, cpu, 1, layer, greedy))).toEqual([
      'router scores rel. error (spread)',
    ]);
  });
});

describe('SPEC 6 top-k over captured scores', () => {
  it('masks the groups noaux_tc drops to 0.0 before the top-k', () => {
    // 4 groups of 2, keep 2: group sums 1.1, 0.45, 0.9, 0.2 keep groups 0 and 2, so expert 3
    // (0.4) is masked and 5 (0.35) takes its place; greedy ignores groups.
    const noaux: RouterSelection = { topK: 4, method: 'noaux_tc', groups: 4, topkGroups: 2 };
    const scores = Float32Array.from([0.6, 0.5, 0.05, 0.4, 0.55, 0.35, 0.1, 0.1]);
    expect(topKOfScores(scores, noaux)).toEqual([0, 1, 4, 5]);
    expect(topKOfScores(scores, { ...noaux, method: 'greedy' })).toEqual([0, 1, 3, 4]);
    // A masked expert scores 0.0, so a negative choice loses to it (SPEC 6).
    const negative = Float32Array.from([0.6, -0.5, 0.05, 0.4, -0.1, -0.2, 0.1, 0.1]);
    expect(topKOfScores(negative, { ...noaux, groups: 2, topkGroups: 1 })).toEqual([0, 2, 3, 4]);
  });

  it('accepts a group-level near tie and refuses a clear one under group limiting', () => {
    const noaux: RouterSelection = { topK: 2, method: 'noaux_tc', groups: 4, topkGroups: 2 };
    // Groups 1 and 2 tie within 1e-4 (0.45 + 0.4 vs 0.5 + 0.3499): the GPU keeping group 2
    // instead of 1 is a near tie at group level.
    const cpu = [0.9, 0.8, 0.45, 0.4, 0.5, 0.3499, 0.01, 0.02];
    const gpu = [0.9, 0.8, 0.4499, 0.4, 0.5001, 0.3501, 0.01, 0.02];
    expect(topKOfScores(Float32Array.from(cpu), { ...noaux, topK: 3 })).toEqual([0, 1, 2]);
    expect(topKOfScores(Float32Array.from(gpu), { ...noaux, topK: 3 })).toEqual([0, 1, 4]);
    const three = { ...noaux, topK: 3 };
    expect(failing(flipChecks('row', capture(gpu, [0, 1, 4]), capture(cpu, [0, 1, 2]), 0, 0, three))).toEqual(
      [],
    );
    // The same swap where group 2 trails clearly: refused.
    const clear = [0.9, 0.8, 0.6, 0.4, 0.3, 0.2, 0.01, 0.02];
    expect(
      failing(flipChecks('row', capture(clear, [0, 1, 4]), capture(clear, [0, 1, 2]), 0, 0, three)),
    ).toContain('CPU score gap of swapped experts');
  });
});
