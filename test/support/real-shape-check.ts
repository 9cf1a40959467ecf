/**
 * CUDA against the CPU backend at the published widths: synthetic checkpoints of every variant
 * (few layers, real head sizes, so the tuned kernels run rather than the shape-agnostic ones the
 * golden toy models send everything to). The CPU backend matches the reference to ~1e-6, so it is
 * the reference here; every comparison is judged by the golden README's bf16 rule (relative error
 * at most 2e-2; the CPU's top-1 inside the GPU's top-3; the same greedy token wherever the CPU's
 * top-2 margin is above 0.5).
 *
 * Compared: the first tile's SigLIP output and projector output, the input embeddings, the last
 * position's hidden state after every layer, and the logits, for a prompt with an image, a long
 * prompt (flash attention over the first chunk), a prompt over a cached prefix (a chunk after 960
 * cached tokens), and batched decode steps (1, 7 and 64 sequences of different cached lengths) both
 * eagerly (logits) and replayed as CUDA graphs (greedy tokens). Which kernels ran is read from the
 * addon's launch tally; a tuned kernel the variant needs that did not run fails the check.
 *
 * Where a MoE layer sent a token to other experts on the GPU than on the CPU would have (near ties
 * of random router weights that bf16 flips; both backends report the experts they chose and the
 * router scores they chose by), the flip itself is checked (test/support/routing-judge.ts): router
 * scores that agree at the flipping layer, a near tie on the CPU, GPU experts that are the top-k of
 * its own scores. In the decode steps the CPU then routes every token as the GPU did (`routeAs`,
 * weighted by its own scores), so every row is compared at the bf16 rule whatever its routing; in
 * the prompts (one capture per prompt) a comparison after a flipped layer that fails the rule is
 * reported as a routing flip instead of judged, and at most 2% of the rows may be left out so.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomPrompt } from '../../bench/support/prompts.js';
import { backends } from '../../lib/backends.js';
import { nativeAddon } from '../../lib/engine/addon.js';
import { EngineModel } from '../../lib/engine/native-model.js';
import type { EnginePrompt, PrefillResult } from '../../lib/engine/native-types.js';
import type { VariantName } from '../../lib/synth/variants.js';
import { writeSyntheticCheckpoint } from '../../lib/synth/write-checkpoint.js';
import { bf16Tolerance, type CheckLine, passed } from './bf16-golden-check.js';
import { argmax, rankOf, relativeError, topTwoMargin } from './golden.js';
import {
  type CapturedRouting,
  FlipLedger,
  firstRoutingFlip,
  flipChecks,
  type RouterSelection,
} from './routing-judge.js';

/**
 * Kernels each variant must reach at real widths; a missing one means a fallback did the work.
 * Prefill GEMMs from 256 rows take the Hopper kernels on compute capability 9.x; decode batches
 * (up to 64 rows) stay on the skinny and tiled ones everywhere.
 */
function requiredKernels(variant: VariantName, hopper: boolean): string[] {
  return [
    'tiledGemmKernel',
    'skinnyGemmKernel',
    'tiledGemmKernel(grouped)',
    'skinnyGemmKernel(grouped)',
    ...(hopper ? ['sm90GemmKernel', 'sm90GemmKernel(grouped)'] : []),
    'flashPrefillKernel(72, 72)',
    variant === 'tiny' ? 'flashPrefillKernel(128, 128)' : 'flashPrefillKernel(192, 128)',
    variant === 'tiny' ? 'mhaDecodeKernel' : 'mlaDecodeKernel',
  ];
}

export interface RealShapeReport {
  lines: CheckLine[];
  /** Kernel launches on the GPU during the check, by name. */
  launches: Record<string, number>;
  /** Comparisons left out because routing differed (see the header). */
  routingFlips: string[];
  /** Per variant: rows judged, rows whose routing differed at all, rows left out for it. */
  routingTally: { rows: number; flipped: number; leftOut: number };
}

const limit = bf16Tolerance.logitsRelativeError;

const error = (where: string, check: string, got: Float32Array, want: Float32Array): CheckLine => ({
  where,
  check: `${check} rel. error`,
  value: relativeError(got, want),
  limit,
});

function logitsLines(where: string, gpu: Float32Array, cpu: Float32Array): CheckLine[] {
  return [
    error(where, 'logits', gpu, cpu),
    { where, check: 'rank of CPU top-1', value: rankOf(gpu, argmax(cpu)), limit: bf16Tolerance.topN },
  ];
}

/** One row's routing on both backends, and where its comparisons are tallied. */
interface RoutedRow {
  gpu: CapturedRouting;
  cpu: CapturedRouting;
  row: number;
  selection: RouterSelection;
}

/** The first MoE layer where the row routed differently (-1: none); a flip's own checks go to `lines`. */
function flipOf(routed: RoutedRow, where: string, lines: CheckLine[]): number {
  const flip = firstRoutingFlip(routed.gpu, routed.cpu, routed.row, routed.selection.topK);
  if (flip >= 0) lines.push(...flipChecks(where, routed.gpu, routed.cpu, routed.row, flip, routed.selection));
  return flip;
}

/**
 * Keeps `lines` as checks, unless one fails where routing differed (`flip` >= 0): then they are
 * reported as a routing flip instead of judged, and the row counts as left out.
 */
function judge(
  lines: CheckLine[],
  flip: number,
  where: string,
  row: string,
  ledger: FlipLedger,
  report: RealShapeReport,
): CheckLine[] {
  if (flip >= 0) ledger.flip(row);
  if (flip < 0 || lines.every(passed)) {
    ledger.judge(row);
    return lines;
  }
  ledger.leaveOut(row);
  report.routingFlips.push(`${where} (MoE layer ${flip} routed differently)`);
  return [];
}

/** Hidden states after each layer and the logits of one prompt; see judge() for routing flips. */
function promptLines(
  where: string,
  gpu: PrefillResult,
  cpu: PrefillResult,
  hidden: number,
  firstMoeLayer: number,
  selection: RouterSelection,
  ledger: FlipLedger,
  report: RealShapeReport,
): CheckLine[] {
  const lines: CheckLine[] = [];
  // A prompt reports one row of experts and scores per MoE layer: its last position's.
  const captured = (result: PrefillResult): CapturedRouting => ({
    experts: result.experts as Int32Array,
    scores: result.routerScores as Float32Array,
    rows: 1,
  });
  const routed: RoutedRow = { gpu: captured(gpu), cpu: captured(cpu), row: 0, selection };
  const flip = flipOf(routed, `${where}: last position`, lines);
  // Rows of hiddenLast: 0 the embedding, l + 1 after layer l; a flip can touch rows after its layer.
  const firstTouched = flip < 0 ? Infinity : firstMoeLayer + flip + 1;
  const rows = (cpu.hiddenLast as Float32Array).length / hidden;
  for (let row = 0; row < rows; row++) {
    const range = [row * hidden, (row + 1) * hidden] as const;
    const label = row === 0 ? 'hidden: embeddings' : `hidden after layer ${row - 1}`;
    const line = error(
      where,
      label,
      (gpu.hiddenLast as Float32Array).subarray(...range),
      (cpu.hiddenLast as Float32Array).subarray(...range),
    );
    lines.push(
      ...judge([line], row >= firstTouched ? flip : -1, `${where}: ${label}`, where, ledger, report),
    );
  }
  lines.push(
    ...judge(logitsLines(where, gpu.logits, cpu.logits), flip, `${where}: logits`, where, ledger, report),
  );
  return lines;
}

/** Runs one variant; `layers` language layers (the first dense, the rest MoE). */
export interface RealShapeOptions {
  /** Decoder layers of the synthetic checkpoint. */
  layers?: number;
  /** Batch sizes of the batched decode steps; larger batches judge more routing rows. */
  decodeBatches?: number[];
}

export async function checkRealShapes(
  variant: VariantName,
  { layers = 3, decodeBatches = [1, 7, 64] }: RealShapeOptions = {},
): Promise<RealShapeReport> {
  const report: RealShapeReport = {
    lines: [],
    launches: {},
    routingFlips: [],
    routingTally: { rows: 0, flipped: 0, leftOut: 0 },
  };
  const dir = await mkdtemp(join(tmpdir(), `vl2-real-${variant}-`));
  const open: EngineModel[] = [];
  try {
    await writeSyntheticCheckpoint({ variant, out: dir, layers, seed: 3 });
    // Each decode sequence holds a block or two of its own beyond the shared prefix.
    const perSequence = 128 * Math.max(...decodeBatches);
    const cpu = await EngineModel.load(dir, { device: 'cpu', cacheTokens: 16384 + perSequence });
    open.push(cpu);
    const gpu = await EngineModel.load(dir, { device: 'cuda', cacheTokens: 65536 + 2 * perSequence });
    open.push(gpu);
    nativeAddon().cudaKernelLaunches(true);
    const config = cpu.checkpoint.modelConfig;
    const hidden = config.language.hiddenSize;
    const firstMoeLayer = config.language.firstKDenseReplace;
    const selection: RouterSelection = {
      topK: config.language.numExpertsPerTok,
      method: config.language.topkMethod,
      groups: config.language.nGroup,
      topkGroups: config.language.topkGroup,
    };
    const ledger = new FlipLedger();
    const both = async (prompt: EnginePrompt) => {
      const [c, g] = [cpu.createSequence(), gpu.createSequence()];
      const onCpu = await cpu.prefill(c, prompt, { capture: true });
      const onGpu = await gpu.prefill(g, prompt, { capture: true });
      // An addon built before router scores were captured would leave every flip unjudgeable.
      if (!onCpu.routerScores || !onGpu.routerScores)
        throw new Error('the addon captures no router scores: rebuild it');
      return { onCpu, onGpu, sequences: [c, g] as const };
    };
    const lines = report.lines;

    // 1. An image of 2x1 local tiles and text: vision, projector, embeddings, every layer, logits.
    const image = await both(randomPrompt(config, 11, 48, { across: 2, down: 1 }));
    const where = `${variant} image prompt`;
    for (const [label, key] of [
      ['vision0 (SigLIP, first tile)', 'vision0'],
      ['projector0', 'projector0'],
      ['embeddings', 'embeds'],
    ] as const)
      lines.push(error(where, label, image.onGpu[key] as Float32Array, image.onCpu[key] as Float32Array));
    lines.push(
      ...promptLines(where, image.onGpu, image.onCpu, hidden, firstMoeLayer, selection, ledger, report),
    );

    // 2. A 1024-token prompt: its first chunk through flash attention.
    const longPrompt = randomPrompt(config, 12, 1024);
    const long = await both(longPrompt);
    lines.push(
      ...promptLines(
        `${variant} 1024-token prompt`,
        long.onGpu,
        long.onCpu,
        hidden,
        firstMoeLayer,
        selection,
        ledger,
        report,
      ),
    );

    // 3. Its first 1000 tokens and 240 new ones: 15 full blocks (960 tokens) from the prefix cache,
    //    then a chunk of 280 over them.
    const extended = randomPrompt(config, 13, 241);
    const overPrefix = await both({
      inputIds: [...longPrompt.inputIds.slice(0, 1000), ...extended.inputIds.slice(1)],
    });
    lines.push(
      ...promptLines(
        `${variant} chunk over a 960-token cached prefix`,
        overPrefix.onGpu,
        overPrefix.onCpu,
        hidden,
        firstMoeLayer,
        selection,
        ledger,
        report,
      ),
    );

    // 4. Batched decode over sequences of different cached lengths: the long prompt's cached
    //    blocks plus a short tail of their own, so the CPU computes only the tails. The GPU runs
    //    two copies: decode() eagerly (logits compared), decodeGreedy() as CUDA graph replays
    //    (greedy tokens compared where the CPU's margin allows).
    for (const batch of decodeBatches) {
      const cpuSequences: number[] = [];
      const eager: number[] = [];
      const graphed: number[] = [];
      for (let b = 0; b < batch; b++) {
        const tail = randomPrompt(config, 100 + b, 2 + ((b * 7) % 29)).inputIds.slice(1);
        const inputIds = [...longPrompt.inputIds.slice(0, 64 * (1 + (b % 16))), ...tail];
        for (const [model, list] of [
          [cpu, cpuSequences],
          [gpu, eager],
          [gpu, graphed],
        ] as const) {
          const sequence = model.createSequence();
          list.push(sequence);
          await model.prefill(sequence, { inputIds });
        }
      }
      let tokens = cpuSequences.map((_, b) => 5 + b);
      for (let step = 0; step < 3; step++) {
        const onGpu = await gpu.decodeWithRouting(
          eager.map((sequence, b) => ({ sequence, token: tokens[b] as number })),
        );
        // The reference follows the GPU's routing (its own choice still captured, for the judge).
        const onCpu = await cpu.decodeWithRouting(
          cpuSequences.map((sequence, b) => ({ sequence, token: tokens[b] as number })),
          { routeAs: onGpu.experts },
        );
        const [cpuLogits, gpuLogits] = [onCpu.logits, onGpu.logits];
        const graphTokens = await gpu.decodeGreedy(
          graphed.map((sequence, b) => ({ sequence, token: tokens[b] as number })),
        );
        const vocab = cpuLogits.length / batch;
        let mismatches = 0;
        const next: number[] = [];
        for (let b = 0; b < batch; b++) {
          const rowCpu = cpuLogits.subarray(b * vocab, (b + 1) * vocab);
          const rowGpu = gpuLogits.subarray(b * vocab, (b + 1) * vocab);
          const rowWhere = `${variant} decode batch ${batch} step ${step} row ${b}`;
          const routed: RoutedRow = {
            gpu: { experts: onGpu.experts, scores: onGpu.routerScores, rows: batch },
            cpu: { experts: onCpu.experts, scores: onCpu.routerScores, rows: batch },
            row: b,
            selection,
          };
          const flip = flipOf(routed, rowWhere, lines);
          if (flip >= 0) ledger.flip(rowWhere);
          // Routed alike on both sides, so judged whatever the flip (nothing is left out here).
          lines.push(
            ...judge(
              logitsLines(rowWhere, rowGpu, rowCpu),
              -1,
              `${rowWhere}: logits`,
              rowWhere,
              ledger,
              report,
            ),
          );
          // The graph pads the batch to its bucket, so its GEMMs may round otherwise than the eager
          // step's and settle a near tie the other way: its greedy token is judged where the eager
          // step routed as the CPU would have.
          const chosen = argmax(rowCpu);
          if (flip < 0 && topTwoMargin(rowCpu) > bf16Tolerance.greedyMargin && graphTokens[b] !== chosen)
            mismatches++;
          next.push(chosen);
        }
        lines.push({
          where: `${variant} decode batch ${batch} step ${step} (CUDA graph)`,
          check: 'greedy mismatches where margin > 0.5',
          value: mismatches,
          limit: 0,
        });
        tokens = next;
      }
      for (const sequence of cpuSequences) cpu.freeSequence(sequence);
      for (const sequence of [...eager, ...graphed]) gpu.freeSequence(sequence);
    }

    lines.push(ledger.line(`${variant} routing`));
    report.routingTally = ledger.tally();

    report.launches = nativeAddon().cudaKernelLaunches();
    const device = backends()
      .flatMap((b) => (b.name === 'cuda' ? b.devices : []))
      .find((d) => d.index === 0);
    for (const kernel of requiredKernels(variant, device?.computeCapability.startsWith('9.') ?? false)) {
      lines.push({
        where: `${variant} kernels`,
        check: `${kernel} did not run`,
        value: (report.launches[kernel] ?? 0) > 0 ? 0 : 1,
        limit: 0,
      });
    }
    return report;
  } finally {
    for (const model of open) model.close();
    await rm(dir, { recursive: true, force: true });
  }
}
