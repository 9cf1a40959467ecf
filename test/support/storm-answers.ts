/**
 * The storm's answer check: a greedy request that completed inside the storm (batched with up to
 * `concurrency` others, preempted and recomputed, sharing prefix-cache blocks) must have produced
 * exactly the tokens that the same prompt and options produce alone through `model.generate`. The
 * expected tokens are computed here, on the storm's own model after the storm, one request at a
 * time: nothing is hard-coded, and a storm that corrupts a batch, a preempted sequence or a shared
 * cache block shows up as a mismatch named by request.
 * On a GPU a batch of another size runs other kernels, so bf16 rounding can tip a near tie: there a
 * difference is accepted only where the request decoded alone on the engine (logits in hand) had a
 * top-2 margin within the device's greedy rule at the first differing token, as the scheduler check
 * judges (scheduler-judge.ts); every other difference is a mismatch.
 */
import type { ChatMessage, GenerateOptions, Model } from '../../lib/index.js';
import { compareWithSolo, type SoloDecode } from './scheduler-judge.js';

/** A request that completed (stop or length) in the storm, with the tokens it streamed. */
export interface AnsweredRequest {
  index: number;
  kind: string;
  messages: ChatMessage[];
  options: GenerateOptions;
  tokenIds: number[];
}

export interface AnswerCheck {
  /** Completed greedy requests compared with their answer alone. */
  checked: number;
  /** Of them, requests with an image. */
  withImage: number;
  /** Distinct prompt + options among them (each run alone once). */
  distinct: number;
  /** One line per request whose tokens differ from its answer alone (off a near tie, with a judge). */
  mismatches: string[];
  /** Differences accepted as near ties of the solo decode (GPU only). */
  nearTies: number;
  ms: number;
}

/** How a GPU run judges a difference: the request decoded alone with its margins, and the tie rule. */
export interface NearTieJudge {
  /** Greedy tokens (at most `tokens`, a final EOS left out as the storm's tokens leave it) and margins. */
  solo(request: AnsweredRequest, tokens: number): Promise<SoloDecode>;
  tieMargin: number;
}

/** Greedy: no temperature (the default, 0) or an explicit 0; the answer is then a function of the prompt. */
export function isGreedy(options: GenerateOptions): boolean {
  return (options.temperature ?? 0) === 0;
}

/** A key for prompt + options; images are the storm's one fixture, so their length names them. */
function keyOf(request: AnsweredRequest): string {
  const messages = request.messages.map((message) => ({
    ...message,
    images: message.images?.map((image) =>
      typeof image === 'string' ? image : `${(image as Uint8Array).byteLength} bytes`,
    ),
  }));
  return JSON.stringify([messages, request.options]);
}

/**
 * Runs each distinct prompt alone (one request in flight, nothing else on the model) and compares
 * its tokens with every storm request that asked the same; stops at the deadline (the ones left are
 * not counted as checked).
 */
export async function checkAnswersAlone(
  model: Model,
  answered: AnsweredRequest[],
  deadline: number,
  judge?: NearTieJudge,
): Promise<AnswerCheck> {
  const started = Date.now();
  const groups = new Map<string, AnsweredRequest[]>();
  for (const request of answered) {
    const key = keyOf(request);
    groups.set(key, [...(groups.get(key) ?? []), request]);
  }
  const check: AnswerCheck = { checked: 0, withImage: 0, distinct: 0, mismatches: [], nearTies: 0, ms: 0 };
  for (const group of groups.values()) {
    if (Date.now() >= deadline) break;
    const [first] = group as [AnsweredRequest];
    const alone = await model.generate(first.messages, first.options);
    check.distinct++;
    for (const request of group) {
      check.checked++;
      if (request.kind === 'image') check.withImage++;
      if (request.tokenIds.join() !== alone.tokenIds.join()) {
        if (judge) {
          const solo = await judge.solo(request, Math.max(request.tokenIds.length, alone.tokenIds.length));
          const comparison = compareWithSolo(request.tokenIds, solo, judge.tieMargin);
          if (comparison.firstDifference < 0 || comparison.nearTie) {
            check.nearTies++;
            continue;
          }
        }
        check.mismatches.push(
          `#${request.index} ${request.kind}: storm [${request.tokenIds.join(' ')}], alone [${alone.tokenIds.join(' ')}]`,
        );
      }
    }
  }
  check.ms = Date.now() - started;
  return check;
}
