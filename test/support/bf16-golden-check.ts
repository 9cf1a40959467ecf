/**
 * The golden cases through a bf16 backend (the GPU, or the CPU in cpuPrecision 'bf16'), judged by the
 * golden README's bf16 rule:
 * logits within 2e-2 relative error, the reference's top-1 token inside our top-3 at every checked
 * position, and the same greedy token wherever the reference's top-2 margin is above 0.5.
 * Free of vitest so the GPU machine (no test runner there) runs it as a plain script too.
 */

import { nativeAddon } from '../../lib/engine/addon.js';
import { EngineModel } from '../../lib/engine/native-model.js';
import type { CpuPrecision, EnginePrompt, NativeGrammar } from '../../lib/engine/native-types.js';
import {
  argmax,
  caseNames,
  decodeCasesBatched,
  type GoldenCase,
  goldenCase,
  goldenPath,
  goldenPrompt,
  type ModelVariant,
  rankOf,
  readF32,
  relativeError,
  type TopK,
  topTwoMargin,
} from './golden.js';
import {
  compareWithSolo,
  runScheduled,
  type SoloDecode,
  schedulerLines,
  type TokenComparison,
} from './scheduler-judge.js';

export const bf16Tolerance = { logitsRelativeError: 2e-2, topN: 3, greedyMargin: 0.5 } as const;

/** One measured check: `value` must not exceed `limit` (ranks and mismatches are counted the same way). */
export interface CheckLine {
  where: string;
  check: string;
  value: number;
  limit: number;
}

export const passed = (line: CheckLine) => line.value <= line.limit;

/** Checks of one row of logits against a reference top-16. */
function topKChecks(logits: Float32Array, expected: TopK, where: string): CheckLine[] {
  const values = expected.ids.map((id) => logits[id] as number);
  return [
    {
      where,
      check: 'top-16 logits rel. error',
      value: relativeError(values, expected.values),
      limit: bf16Tolerance.logitsRelativeError,
    },
    {
      where,
      check: 'rank of reference top-1',
      value: rankOf(logits, expected.ids[0] as number),
      limit: bf16Tolerance.topN,
    },
  ];
}

/** Every golden case of one variant on `device`: full prefill, cached tail decoding, greedy steps, batched decode. */
export async function checkVariant(
  variant: ModelVariant,
  device: 'cpu' | 'cuda',
  /** The first this many cases only (default all): a shorter run under compute-sanitizer. */
  caseCount: number = caseNames.length,
  /** On the CPU: its precision (default: the fp32 reference, which these bounds hold a fortiori). */
  cpuPrecision?: CpuPrecision,
): Promise<CheckLine[]> {
  const names = caseNames.slice(0, caseCount);
  const lines: CheckLine[] = [];
  const model = await EngineModel.load(goldenPath('models', variant), {
    device,
    cacheTokens: 16384,
    cpuPrecision: device === 'cpu' ? (cpuPrecision ?? 'fp32') : undefined,
  });
  const bf16Arithmetic = device === 'cuda' || cpuPrecision === 'bf16';
  try {
    for (const name of names) {
      const golden = goldenCase(variant, name);
      const where = `${variant}/${name}`;
      const full = model.createSequence();
      try {
        const { logits } = await model.prefill(full, goldenPrompt(golden));
        const expected = readF32('cases', `${variant}-${name}.logits_last.f32`);
        lines.push({
          where,
          check: 'last-position logits rel. error',
          value: relativeError(logits, expected),
          limit: bf16Tolerance.logitsRelativeError,
        });
        lines.push({
          where,
          check: 'rank of reference top-1',
          value: rankOf(logits, argmax(expected)),
          limit: bf16Tolerance.topN,
        });
      } finally {
        model.freeSequence(full);
      }
      // The prompt again up to the first tail position (its full blocks come from the prefix
      // cache), then one token at a time through the paged cache, then the greedy continuation.
      const sequence = model.createSequence();
      try {
        const first = golden.tail_positions[0] as number;
        let logits = (await model.prefill(sequence, goldenPrompt(golden, first + 1))).logits;
        lines.push(...topKChecks(logits, golden.tail_topk[0] as TopK, `${where} tail 0`));
        for (let i = 1; i < golden.tail_positions.length; i++) {
          const token = golden.input_ids[golden.tail_positions[i] as number] as number;
          logits = await model.decode([{ sequence, token }]);
          lines.push(...topKChecks(logits, golden.tail_topk[i] as TopK, `${where} tail ${i}`));
        }
        let mismatches = 0;
        for (let i = 0; i < golden.greedy_tokens.length; i++) {
          if (
            (golden.greedy_top2_margins[i] as number) > bf16Tolerance.greedyMargin &&
            argmax(logits) !== golden.greedy_tokens[i]
          )
            mismatches++;
          if (i === golden.greedy_step_topk.length) break;
          logits = await model.decode([{ sequence, token: golden.greedy_tokens[i] as number }]);
          lines.push(...topKChecks(logits, golden.greedy_step_topk[i] as TopK, `${where} greedy ${i}`));
        }
        lines.push({ where, check: 'greedy mismatches where margin > 0.5', value: mismatches, limit: 0 });
      } finally {
        model.freeSequence(sequence);
      }
    }
    lines.push(...(await batchedChecks(model, variant, names)));
    lines.push(...(await schedulerChecks(model, variant, names, bf16Arithmetic)));
  } finally {
    model.close();
  }
  return lines;
}

/** All cases decoded together, one batched step per greedy token (different lengths in one launch). */
async function batchedChecks(
  model: EngineModel,
  variant: ModelVariant,
  names: readonly string[],
): Promise<CheckLine[]> {
  const lines: CheckLine[] = [];
  await decodeCasesBatched(
    model,
    variant,
    (row, golden, step) => {
      lines.push(
        ...topKChecks(
          row,
          golden.greedy_step_topk[step] as TopK,
          `${variant}/${golden.name} batched ${step}`,
        ),
      );
    },
    names,
  );
  return lines;
}

/**
 * Every case through the scheduler at once with a 37-token step budget: prompts chunked and
 * computed beside other requests' decoding in mixed steps. Each request must write, token for
 * token, what this device writes for its case alone (an unbatched greedy decode with the same
 * prompt and token budget), up to a near tie of that solo run (test/support/scheduler-judge.ts);
 * requests still open at the deadline fail by name.
 */
async function schedulerChecks(
  model: EngineModel,
  variant: ModelVariant,
  names: readonly string[],
  bf16Arithmetic: boolean,
): Promise<CheckLine[]> {
  const cases = names.map((name) => goldenCase(variant, name));
  const eos = model.checkpoint.modelConfig.language.eosTokenId;
  const started = Date.now();
  const solo = new Map<string, SoloDecode>();
  for (const golden of cases) solo.set(golden.name, await soloGreedy(model, golden, eos));
  // Batched work is at most the solo work; the slack covers a loaded machine.
  const deadlineMs = 60_000 + 10 * (Date.now() - started);
  const Generator = nativeAddon().NativeGenerator;
  const run = await runScheduled(
    (onEvents) => new Generator(model.nativeHandle, onEvents, { stepTokens: 37 }),
    cases.map((golden) => ({
      name: golden.name,
      request: { ...goldenPrompt(golden), maxTokens: golden.greedy_tokens.length, sampling: {} },
    })),
    deadlineMs,
  );
  const tieMargin = bf16Arithmetic ? bf16Tolerance.greedyMargin : fp32GreedyMargin;
  const comparisons = new Map<string, TokenComparison>();
  for (const golden of cases) {
    const name = golden.name;
    if (run.unfinished.includes(name)) continue;
    comparisons.set(
      name,
      compareWithSolo(run.tokens.get(name) ?? [], solo.get(golden.name) as SoloDecode, tieMargin),
    );
  }
  return schedulerLines(`${variant} scheduler`, comparisons, run.failures, run.unfinished);
}

/** The golden README's float32 rule: a different greedy token is no error where the margin is below 1e-3. */
const fp32GreedyMargin = 1e-3;

/** One case alone: full prefill, then one sequence decoding greedily until EOS or the token budget. */
function soloGreedy(model: EngineModel, golden: GoldenCase, eos: number): Promise<SoloDecode> {
  return soloGreedyDecode(model, goldenPrompt(golden), golden.greedy_tokens.length, eos);
}

/**
 * A prompt decoded alone: full prefill, then one sequence decoding greedily until EOS (kept as the
 * last token) or `maxTokens`, with the top-2 margin each token was chosen by. With a grammar, as a
 * constrained request decodes: the choice and its margin among the tokens the grammar allows next
 * (EOS once it is complete).
 */
export async function soloGreedyDecode(
  model: EngineModel,
  prompt: EnginePrompt,
  maxTokens: number,
  eos: number,
  grammar?: NativeGrammar,
): Promise<SoloDecode> {
  const sequence = model.createSequence();
  try {
    let logits = (await model.prefill(sequence, prompt)).logits;
    let state = grammar?.initial() ?? 0;
    const decoded: SoloDecode = { tokens: [], margins: [] };
    while (decoded.tokens.length < maxTokens) {
      const choices = grammar ? allowedLogits(logits, grammar, state, eos) : logits;
      const token = argmax(choices);
      decoded.tokens.push(token);
      decoded.margins.push(topTwoMargin(choices));
      if (token === eos || decoded.tokens.length === maxTokens) break;
      if (grammar) state = grammar.afterToken(state, token);
      logits = await model.decode([{ sequence, token }]);
    }
    return decoded;
  } finally {
    model.freeSequence(sequence);
  }
}

/** The logits with every token the grammar refuses in `state` at -Infinity (EOS allowed once complete). */
function allowedLogits(
  logits: Float32Array,
  grammar: NativeGrammar,
  state: number,
  eos: number,
): Float32Array {
  const mask = grammar.allowed(state);
  const out = new Float32Array(logits.length).fill(Number.NEGATIVE_INFINITY);
  for (let t = 0; t < logits.length; t++)
    if (((mask[t >>> 5] as number) >>> (t & 31)) & 1) out[t] = logits[t] as number;
  if (grammar.complete(state)) out[eos] = logits[eos] as number;
  return out;
}

/** The worst line of each check kind, for printing. */
export function worstByCheck(lines: CheckLine[]): CheckLine[] {
  const worst = new Map<string, CheckLine>();
  for (const line of lines) {
    const key = `${line.where.split(/[/ ]/)[0]}: ${line.check}`;
    const seen = worst.get(key);
    if (!seen || line.value / line.limit > seen.value / seen.limit) worst.set(key, line);
  }
  return [...worst.values()];
}
