/**
 * How the real-shape check (test/support/real-shape-check.ts) treats a token that a MoE layer sent
 * to other experts on the GPU than on the CPU. Such a "routing flip" is a legitimate bf16 effect
 * only when the router itself agrees and the choice was a near tie, so a flip is accepted only if:
 *   - the GPU's router scores at the first layer where the row flipped agree with the CPU's
 *     (error relative to the scores' spread at most 2e-2, the bf16 rule of every other array);
 *   - on the CPU the experts swapped were a near tie (their score gap within that same error);
 *   - the GPU's experts are the top-k of its own scores (a top-k bug is no near tie);
 *   - and rows left out for one are rare: at most 2% of the judged rows (only prompt rows can be:
 *     in decode steps the CPU routes as the GPU did, so every row is compared).
 * Pure functions over captured arrays, so the rules are unit-tested without a GPU.
 *
 * Scores are the ones top-k ranks (SPEC 6: softmax or sigmoid of the gate's logits, plus the
 * correction bias under noaux_tc, before group masking), one row per token:
 * experts [MoE layers, rows, topK] ascending per row, scores [MoE layers, rows, routed experts].
 */
import type { CheckLine } from './bf16-golden-check.js';

export const routingTolerance = {
  /**
   * Router scores: ||gpu - cpu|| / ||cpu - mean(cpu)|| over the routed experts of one row. The
   * scale is the scores' spread, not their norm: an offset common to every expert (sigmoid
   * scores sit around 0.5, softmax ones sum to 1) changes no choice, so it must not widen the
   * tolerance. 2e-2 is the bf16 rule's relative error (golden README): the scores are an fp32
   * function of the bf16 hidden state the check already holds to 2e-2 through a bf16 GEMM, so an
   * error of that order in their spread is what bf16 explains; a wrong gate weight, a wrong
   * scoring function or a missing bias moves them by the order of the spread itself.
   */
  scoresRelativeError: 2e-2,
  /**
   * Near tie: the CPU's score gap between the experts the backends swapped, over the same spread.
   * A gap within the error the scores may have is one bf16 can flip.
   */
  tieGap: 2e-2,
  /** Rows (tokens whose routing is compared) that may be left out for a flip: 2%. */
  maxFlipShare: 0.02,
} as const;

/** The routing method of a checkpoint (its language config). */
export interface RouterSelection {
  topK: number;
  method: 'greedy' | 'group_limited_greedy' | 'noaux_tc';
  groups: number;
  topkGroups: number;
}

/** One backend's routing capture for one step of `rows` rows. */
export interface CapturedRouting {
  experts: Int32Array;
  scores: Float32Array;
  rows: number;
}

/** The first MoE layer (index among MoE layers) where `row` went to other experts, or -1. */
export function firstRoutingFlip(
  gpu: CapturedRouting,
  cpu: CapturedRouting,
  row: number,
  topK: number,
): number {
  const layers = cpu.experts.length / (cpu.rows * topK);
  for (let layer = 0; layer < layers; layer++) {
    const first = (layer * cpu.rows + row) * topK;
    for (let k = 0; k < topK; k++) if (gpu.experts[first + k] !== cpu.experts[first + k]) return layer;
  }
  return -1;
}

function rowOf<T extends Int32Array | Float32Array>(
  values: T,
  rows: number,
  layer: number,
  row: number,
  width: number,
): T {
  const first = (layer * rows + row) * width;
  return values.subarray(first, first + width) as T;
}

/** ||x - mean(x)||: the scale a choice between experts sees. */
function spread(x: Float32Array): number {
  let mean = 0;
  for (const v of x) mean += v;
  mean /= x.length;
  let sum = 0;
  for (const v of x) sum += (v - mean) ** 2;
  return Math.sqrt(sum);
}

function distance(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += ((a[i] as number) - (b[i] as number)) ** 2;
  return Math.sqrt(sum);
}

/** Group scores as SPEC 6 ranks groups: the best choice (group_limited_greedy) or the sum of the two best (noaux_tc). */
function groupScores(scores: Float32Array, selection: RouterSelection): number[] {
  const perGroup = scores.length / selection.groups;
  return Array.from({ length: selection.groups }, (_, g) => {
    const members = [...scores.subarray(g * perGroup, (g + 1) * perGroup)].sort((a, b) => b - a);
    return selection.method === 'noaux_tc'
      ? (members[0] as number) + (members[1] ?? 0)
      : (members[0] as number);
  });
}

/** Indices of the `count` largest values, ties to the lower index. */
function topIndices(values: ArrayLike<number>, count: number): number[] {
  return Array.from({ length: values.length }, (_, i) => i)
    .sort((a, b) => (values[b] as number) - (values[a] as number) || a - b)
    .slice(0, count);
}

/** The groups routing keeps (all of them for greedy). */
function keptGroups(scores: Float32Array, selection: RouterSelection): Set<number> {
  if (selection.method === 'greedy' || selection.groups <= 1)
    return new Set(Array.from({ length: selection.groups }, (_, g) => g));
  return new Set(topIndices(groupScores(scores, selection), selection.topkGroups));
}

/** SPEC 6's top-k over one row's scores (masked groups score 0.0), ascending: what a router must choose. */
export function topKOfScores(scores: Float32Array, selection: RouterSelection): number[] {
  const perGroup = scores.length / selection.groups;
  const kept = keptGroups(scores, selection);
  const choice = Array.from(scores, (v, e) => (kept.has(Math.floor(e / perGroup)) ? v : 0));
  return topIndices(choice, selection.topK).sort((a, b) => a - b);
}

/**
 * How close to a tie the CPU's choice was for the experts the GPU swapped, over the scores'
 * spread: the largest CPU score among experts only the CPU chose minus the smallest among those
 * only the GPU chose. Where group limiting kept other groups on the two sides, the gap between
 * the last kept group and the first dropped one on the CPU decides instead.
 */
export function swapGap(
  cpuScores: Float32Array,
  cpuExperts: Int32Array,
  gpuExperts: Int32Array,
  selection: RouterSelection,
): number {
  const scale = spread(cpuScores);
  const perGroup = cpuScores.length / selection.groups;
  const keptOnCpu = keptGroups(cpuScores, selection);
  if (Array.from(gpuExperts).some((e) => !keptOnCpu.has(Math.floor(e / perGroup)))) {
    const ranked = groupScores(cpuScores, selection).sort((a, b) => b - a);
    const k = selection.topkGroups;
    return ((ranked[k - 1] as number) - (ranked[k] ?? -Infinity)) / scale;
  }
  const onlyCpu = Array.from(cpuExperts).filter((e) => !gpuExperts.includes(e));
  const onlyGpu = Array.from(gpuExperts).filter((e) => !cpuExperts.includes(e));
  if (!onlyCpu.length) return 0;
  const best = Math.max(...onlyCpu.map((e) => cpuScores[e] as number));
  const worst = Math.min(...onlyGpu.map((e) => cpuScores[e] as number));
  return (best - worst) / scale;
}

/**
 * The checks a flipped row must pass at `layer` (its first flipping MoE layer): router scores
 * that agree, a near tie on the CPU, and GPU experts that are the top-k of its own scores.
 */
export function flipChecks(
  where: string,
  gpu: CapturedRouting,
  cpu: CapturedRouting,
  row: number,
  layer: number,
  selection: RouterSelection,
): CheckLine[] {
  const width = cpu.scores.length / (cpu.experts.length / selection.topK);
  const [gpuScores, cpuScores] = [
    rowOf(gpu.scores, gpu.rows, layer, row, width),
    rowOf(cpu.scores, cpu.rows, layer, row, width),
  ];
  const [gpuExperts, cpuExperts] = [
    rowOf(gpu.experts, gpu.rows, layer, row, selection.topK),
    rowOf(cpu.experts, cpu.rows, layer, row, selection.topK),
  ];
  const ownTopK = topKOfScores(gpuScores, selection);
  const at = `${where} (MoE layer ${layer} flipped)`;
  return [
    {
      where: at,
      check: 'router scores rel. error (spread)',
      value: distance(gpuScores, cpuScores) / spread(cpuScores),
      limit: routingTolerance.scoresRelativeError,
    },
    {
      where: at,
      check: 'CPU score gap of swapped experts',
      value: swapGap(cpuScores, cpuExperts, gpuExperts, selection),
      limit: routingTolerance.tieGap,
    },
    {
      where: at,
      check: 'GPU experts off its own top-k',
      value: ownTopK.filter((e, k) => gpuExperts[k] !== e).length,
      limit: 0,
    },
  ];
}

/** Counts judged rows and the ones left out for a flip; its line bounds the share. */
export class FlipLedger {
  private readonly judged = new Set<string>();
  private readonly leftOut = new Set<string>();
  private readonly flipped = new Set<string>();

  judge(row: string): void {
    this.judged.add(row);
  }

  /** A row that routed differently at some MoE layer, whether or not its comparisons passed. */
  flip(row: string): void {
    this.flipped.add(row);
  }

  /** How often routing differed at all, beside how often that was left out (for the report). */
  tally(): { rows: number; flipped: number; leftOut: number } {
    return { rows: this.judged.size, flipped: this.flipped.size, leftOut: this.leftOut.size };
  }

  leaveOut(row: string): void {
    this.judged.add(row);
    this.leftOut.add(row);
  }

  line(where: string): CheckLine {
    return flipShareLine(where, this.leftOut.size, this.judged.size);
  }
}

/** At most 2% of the judged rows may be left out for routing flips. */
export function flipShareLine(where: string, leftOut: number, judged: number): CheckLine {
  return {
    where,
    check: 'share of rows left out for routing flips',
    value: judged ? leftOut / judged : 0,
    limit: routingTolerance.maxFlipShare,
  };
}
