/**
 * The response objects of /v1/chat/completions in OpenAI's shape: the whole completion, stream
 * chunks, usage and logprobs. Extensions: `usage.prompt_tokens_details.image_tokens` (how many
 * prompt tokens stood for images) and `message.grounding` / the last chunk's `delta.grounding`
 * (boxes parsed from `<|ref|>..<|det|>` output, in 0..999 and pixels of the first image).
 */
import type { GroundedObject } from '../grounding.js';
import type { TextTokenizer } from '../processor/index.js';
import type { Usage } from '../results.js';

export type OpenAiFinishReason = 'stop' | 'length';

export interface LogprobEntry {
  token: string;
  logprob: number;
  bytes: number[];
  /** Always empty: the engine reports only the chosen token's log-probability. */
  top_logprobs: [];
}

export interface OpenAiUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details: { image_tokens: number };
}

/** What every object of one completion shares. */
export interface CompletionIdentity {
  id: string;
  created: number;
  model: string;
}

export function usageOf(usage: Usage): OpenAiUsage {
  return {
    prompt_tokens: usage.promptTokens,
    completion_tokens: usage.completionTokens,
    total_tokens: usage.promptTokens + usage.completionTokens,
    prompt_tokens_details: { image_tokens: usage.imageTokens },
  };
}

/**
 * One entry per token. A token that is part of a multi-byte character decodes alone to U+FFFD, so
 * its `bytes` are those of the replacement character, not the raw byte.
 */
export function logprobEntries(tokenizer: TextTokenizer, ids: number[], logprobs: number[]): LogprobEntry[] {
  return ids.map((id, i) => {
    const token = tokenizer.decode([id]);
    return {
      token,
      logprob: logprobs[i] as number,
      bytes: [...Buffer.from(token, 'utf8')],
      top_logprobs: [],
    };
  });
}

export function completionObject(
  identity: CompletionIdentity,
  answer: {
    text: string;
    finishReason: OpenAiFinishReason;
    usage: Usage;
    boxes: GroundedObject[];
    logprobs?: LogprobEntry[];
  },
) {
  return {
    id: identity.id,
    object: 'chat.completion' as const,
    created: identity.created,
    model: identity.model,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant' as const,
          content: answer.text,
          refusal: null,
          ...(answer.boxes.length ? { grounding: answer.boxes } : {}),
        },
        logprobs: answer.logprobs ? { content: answer.logprobs, refusal: null } : null,
        finish_reason: answer.finishReason,
      },
    ],
    usage: usageOf(answer.usage),
  };
}

/** A stream chunk of the one choice; `usage: null` on every chunk when the client asked for usage. */
export function chunkObject(
  identity: CompletionIdentity,
  delta: Record<string, unknown>,
  extra: {
    finishReason?: OpenAiFinishReason;
    logprobs?: LogprobEntry[];
    includeUsage: boolean;
  },
) {
  return {
    id: identity.id,
    object: 'chat.completion.chunk' as const,
    created: identity.created,
    model: identity.model,
    choices: [
      {
        index: 0,
        delta,
        logprobs: extra.logprobs ? { content: extra.logprobs, refusal: null } : null,
        finish_reason: extra.finishReason ?? null,
      },
    ],
    ...(extra.includeUsage ? { usage: null } : {}),
  };
}

/** The stream's closing usage chunk (stream_options.include_usage): no choices, the usage. */
export function usageChunkObject(identity: CompletionIdentity, usage: Usage) {
  const { id, created, model } = identity;
  return { id, object: 'chat.completion.chunk' as const, created, model, choices: [], usage: usageOf(usage) };
}
