/**
 * The public generation surface that a single model and a replicated one share: `chat` checks the
 * options at once and streams the chunks, `generate` collects the whole answer, `generateBatch` runs
 * many requests through batch.ts. A subclass says only where a request's chunks come from.
 */
import { type BatchInput, type BatchOptions, type BatchResult, generateBatch } from './batch.js';
import { type GenerateOptions, type ResolvedOptions, resolveOptions } from './options.js';
import type { PreparedPrompt } from './prepared.js';
import type { ChatMessage } from './processor/index.js';
import { type ChatChunk, type ChatStream, chatStream, type GenerateResult, wholeResult } from './results.js';

/** @internal What the caller of `chat` learns as the request runs (the replica router's accounting). */
export interface ChatHooks {
  /** The prompt is built (images tiled, template applied): its length in tokens. */
  onPrompt?: (promptTokens: number) => void;
}

/** One `chat` call as {@link GenerationSurface.stream} receives it. */
export interface ChatRequest {
  messages: ChatMessage[] | PreparedPrompt;
  /** The options as the caller gave them. */
  options: GenerateOptions;
  /** The same options checked, with defaults filled in. */
  resolved: ResolvedOptions;
  hooks: ChatHooks;
}

export abstract class GenerationSurface {
  /** The preprocessing alone; a batch uses it to prepare requests ahead of a free slot. */
  abstract prepare(messages: ChatMessage[]): Promise<PreparedPrompt>;

  /** Streams the answer to a conversation (or a prepared prompt) as text chunks. */
  chat(
    messages: ChatMessage[] | PreparedPrompt,
    options: GenerateOptions = {},
    /** @internal */
    hooks: ChatHooks = {},
  ): ChatStream {
    const resolved = resolveOptions(options); // invalid options throw here, before any work
    return chatStream((resolve, reject) =>
      this.stream({ messages, options, resolved, hooks }, resolve, reject),
    );
  }

  /** Generates the whole answer. */
  async generate(
    messages: ChatMessage[] | PreparedPrompt,
    options: GenerateOptions = {},
  ): Promise<GenerateResult> {
    return wholeResult(this.chat(messages, options));
  }

  /**
   * Runs many requests together (an array, or any iterable or async iterable, read as it goes),
   * yielding each result as it finishes (see batch.ts).
   */
  generateBatch(requests: BatchInput, options: BatchOptions = {}): AsyncGenerator<BatchResult> {
    return generateBatch(this, requests, {
      ...options,
      concurrency: options.concurrency ?? this.defaultBatchConcurrency(),
    });
  }

  /** Requests a batch runs at once when it does not say; undefined: batch.ts's default. */
  protected defaultBatchConcurrency(): number | undefined {
    return undefined;
  }

  /**
   * Yields one request's chunks and settles its result through the callbacks (started when the
   * stream's iteration starts).
   */
  protected abstract stream(
    request: ChatRequest,
    resolveResult: (r: GenerateResult) => void,
    rejectResult: (e: unknown) => void,
  ): AsyncGenerator<ChatChunk>;
}
