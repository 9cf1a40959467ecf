/**
 * What a generation returns: streamed chunks, the whole answer, token counts and timings. Shared by
 * the model, batch runs and the CLI, so none of them imports another for its types.
 */
import type { GroundedObject } from './grounding.js';

/** Why an answer ended: an end token or stop string, maxTokens, or cancellation. */
export type FinishReason = 'stop' | 'length' | 'abort';

/** One streamed piece of an answer. */
export interface ChatChunk {
  /** New text (never a partial character; never revised later). */
  text: string;
  /** Token ids produced since the previous chunk. */
  tokenIds: number[];
  /**
   * Natural-log probability of each of tokenIds, under the distribution it was drawn from: the
   * model's own when greedy, after temperature and the top-k/top-p/min-p filters when sampling.
   */
  logprobs: number[];
  /** Set on the last chunk. */
  finishReason?: FinishReason;
}

/** Token counts of one generation. */
export interface Usage {
  /** Every prompt token, image tokens included. */
  promptTokens: number;
  /** The prompt's image tokens (tile rows, separators and newlines). */
  imageTokens: number;
  /** Tokens generated. */
  completionTokens: number;
}

/** Wall-clock timings of one generation, in milliseconds and tokens per second. */
export interface Timings {
  /** From the call to the first token. */
  timeToFirstTokenMs: number;
  /** Completion tokens per second after the first token. */
  tokensPerSecond: number;
  /** From the call to the last token. */
  totalMs: number;
}

/** The whole answer of {@link Model.generate}. */
export interface GenerateResult {
  /** The answer's text (cut before a stop string). */
  text: string;
  /** Every generated token id (an end or stop token that ended the answer is left out). */
  tokenIds: number[];
  finishReason: FinishReason;
  usage: Usage;
  timings: Timings;
  /** Grounded objects parsed from the text, in pixels of the (first) image. */
  boxes: GroundedObject[];
}

/** What chat() returns: the answer's chunks as they come, and the whole result when it ends. */
export type ChatStream = AsyncIterable<ChatChunk> & { result: Promise<GenerateResult> };

/**
 * A ChatStream over `run`, a generator that yields the chunks and settles the result through the
 * callbacks it is given; it starts when iteration starts.
 */
export function chatStream(
  run: (resolve: (r: GenerateResult) => void, reject: (e: unknown) => void) => AsyncGenerator<ChatChunk>,
): ChatStream {
  let resolveResult!: (r: GenerateResult) => void;
  let rejectResult!: (e: unknown) => void;
  const result = new Promise<GenerateResult>((resolve, reject) => {
    resolveResult = resolve;
    rejectResult = reject;
  });
  result.catch(() => {}); // observed through the iterator; avoid an unhandled rejection
  return { [Symbol.asyncIterator]: () => run(resolveResult, rejectResult), result };
}

/** Reads a ChatStream to its end and returns the whole result. */
export async function wholeResult(stream: ChatStream): Promise<GenerateResult> {
  for await (const _ of stream) {
    // drain: the result collects everything
  }
  return stream.result;
}
