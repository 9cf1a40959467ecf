/**
 * Generation options: validated before any work starts (typed errors saying what is allowed), with
 * the defaults of the official examples: greedy decoding, at most 512 new tokens, no repetition
 * penalty (the authors' web demo uses 1.1; pass it to match that). The model card advises
 * temperature <= 0.7 when sampling.
 */
import { ConstraintError, InvalidArgumentError } from './errors.js';
import type { ResponseFormat } from './structured/response-format.js';

/** Options of {@link Model.chat} and {@link Model.generate}. */
export interface GenerateOptions {
  /** Most new tokens (default 512). */
  maxTokens?: number;
  /** 0 (default) decodes greedily. */
  temperature?: number;
  /** Keep only the k most likely tokens; 0 (default) keeps all. */
  topK?: number;
  /** Nucleus sampling: the smallest set of tokens whose probability reaches topP; 1 (default) is off. */
  topP?: number;
  /** Drop tokens below minP x the most likely token's probability; 0 (default) is off. */
  minP?: number;
  /** Hugging Face's repetition penalty (> 1 discourages repeats); 1 (default) is off. */
  repetitionPenalty?: number;
  /** Same seed, same output. Default: a random seed. */
  seed?: number;
  /** Extra token ids that end the answer (EOS always does). */
  stopTokenIds?: number[];
  /** Strings that end the answer; the text stops before them, even across chunk boundaries. */
  stop?: string[];
  /** Cancels the generation; it ends within one decode step with finishReason 'abort'. */
  signal?: AbortSignal;
  /** Include special tokens (e.g. <|ref|>, <|det|>) in the text (default true: grounding needs them). */
  showSpecialTokens?: boolean;
  /**
   * Constrains the answer: JSON that validates against a schema, any JSON object, a regular
   * expression, a grammar, or the grounding format. Only tokens that keep the text inside the format
   * are sampled, and the answer ends only where it is complete (unless maxTokens or a stop string
   * ends it first: finishReason then says 'length' or 'stop').
   */
  responseFormat?: ResponseFormat;
}

/** Generation options after validation, every default filled in. */
export interface ResolvedOptions {
  maxTokens: number;
  sampling: {
    temperature: number;
    topK: number;
    topP: number;
    minP: number;
    repetitionPenalty: number;
    seed?: number;
  };
  stopTokenIds: number[];
  stop: string[];
  signal?: AbortSignal;
  showSpecialTokens: boolean;
  responseFormat?: ResponseFormat;
}

const known = new Set([
  'maxTokens',
  'temperature',
  'topK',
  'topP',
  'minP',
  'repetitionPenalty',
  'seed',
  'stopTokenIds',
  'stop',
  'signal',
  'showSpecialTokens',
  'responseFormat',
]);

function check(ok: boolean, message: string): void {
  if (!ok) throw new InvalidArgumentError(message);
}

/**
 * Validates generation options and fills in the defaults.
 * @throws InvalidArgumentError naming the first bad or unknown option, before any work starts.
 */
export function resolveOptions(options: GenerateOptions = {}): ResolvedOptions {
  check(typeof options === 'object' && options !== null, 'options must be an object');
  for (const key of Object.keys(options))
    check(known.has(key), `unknown option '${key}' (allowed: ${[...known].join(', ')})`);
  const {
    maxTokens = 512,
    temperature = 0,
    topK = 0,
    topP = 1,
    minP = 0,
    repetitionPenalty = 1,
    seed,
    stopTokenIds = [],
    stop = [],
    signal,
    showSpecialTokens = true,
    responseFormat,
  } = options;
  check(Number.isInteger(maxTokens) && maxTokens >= 1, `maxTokens must be an integer >= 1, got ${maxTokens}`);
  check(
    Number.isFinite(temperature) && temperature >= 0,
    `temperature must be a number >= 0, got ${temperature}`,
  );
  check(Number.isInteger(topK) && topK >= 0, `topK must be an integer >= 0 (0: off), got ${topK}`);
  check(Number.isFinite(topP) && topP > 0 && topP <= 1, `topP must be in (0, 1], got ${topP}`);
  check(Number.isFinite(minP) && minP >= 0 && minP < 1, `minP must be in [0, 1), got ${minP}`);
  check(
    Number.isFinite(repetitionPenalty) && repetitionPenalty > 0,
    `repetitionPenalty must be > 0, got ${repetitionPenalty}`,
  );
  check(
    seed === undefined || (Number.isSafeInteger(seed) && seed >= 0),
    `seed must be a non-negative integer, got ${seed}`,
  );
  check(
    Array.isArray(stopTokenIds) && stopTokenIds.every((id) => Number.isInteger(id) && id >= 0),
    'stopTokenIds must be token ids',
  );
  check(
    Array.isArray(stop) && stop.every((s) => typeof s === 'string' && s.length > 0),
    'stop must be non-empty strings',
  );
  check(signal === undefined || signal instanceof AbortSignal, 'signal must be an AbortSignal');
  check(typeof showSpecialTokens === 'boolean', 'showSpecialTokens must be a boolean');
  if (
    responseFormat !== undefined &&
    (typeof responseFormat !== 'object' || responseFormat === null || typeof responseFormat.type !== 'string')
  )
    throw new ConstraintError("responseFormat must be an object with a 'type'", { keyword: 'type' });
  return {
    maxTokens,
    sampling: { temperature, topK, topP, minP, repetitionPenalty, ...(seed === undefined ? {} : { seed }) },
    stopTokenIds,
    stop,
    signal,
    showSpecialTokens,
    ...(responseFormat === undefined ? {} : { responseFormat }),
  };
}
