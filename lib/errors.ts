/**
 * Typed errors. Every error this package throws is a {@link Vl2Error} with a stable `code`;
 * native failures arrive with the same codes (native/core/errors.h) and are rewrapped here.
 */

/** Stable error codes, shared with the native engine. */
export type Vl2ErrorCode =
  | 'VL2_INVALID_ARGUMENT'
  | 'VL2_CHECKPOINT'
  | 'VL2_UNSUPPORTED'
  | 'VL2_OUT_OF_MEMORY'
  | 'VL2_CONTEXT_OVERFLOW'
  | 'VL2_CUDA'
  | 'VL2_ABORTED'
  | 'VL2_IMAGE'
  | 'VL2_NATIVE_MISSING'
  | 'VL2_CONSTRAINT'
  | HubErrorCode
  | 'VL2_QUEUE'
  | 'VL2_INTERNAL';

/** Codes of {@link HubError}: why a model could not be fetched from the Hugging Face hub or its cache. */
export type HubErrorCode =
  /** The repository, revision or file does not exist (or is private and the token cannot see it). */
  | 'VL2_HUB_NOT_FOUND'
  /** The repository is gated or private: no token, or the token has not been granted access. */
  | 'VL2_HUB_UNAUTHORIZED'
  /** A downloaded file's sha256 (or git blob hash) differs from the hub's ETag; it was discarded. */
  | 'VL2_HUB_HASH_MISMATCH'
  /** Offline (HF_HUB_OFFLINE or `offline: true`) and the cache lacks the model at that revision. */
  | 'VL2_HUB_OFFLINE_MISSING'
  /** The hub could not be reached or a transfer broke off; a partial file resumes on the next pull. */
  | 'VL2_HUB_NETWORK';

/** Base class of every error thrown by deepseek-vl2. */
export class Vl2Error extends Error {
  readonly code: Vl2ErrorCode;
  constructor(code: Vl2ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** An argument or option was malformed; the message says what is allowed. */
export class InvalidArgumentError extends Vl2Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super('VL2_INVALID_ARGUMENT', message, options);
  }
}

/** A model file is missing, truncated or inconsistent with its config. */
export class CheckpointError extends Vl2Error {
  /** The file at fault, when known. */
  readonly file?: string;
  /** The tensor at fault, when known. */
  readonly tensor?: string;
  constructor(message: string, details: { file?: string; tensor?: string; cause?: unknown } = {}) {
    super('VL2_CHECKPOINT', message, { cause: details.cause });
    this.file = details.file;
    this.tensor = details.tensor;
  }
}

/** A config value, dtype or feature this engine does not implement. */
export class UnsupportedError extends Vl2Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super('VL2_UNSUPPORTED', message, options);
  }
}

/** An image could not be read, or is too large or empty. */
export class ImageError extends Vl2Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super('VL2_IMAGE', message, options);
  }
}

/** A prompt (with its image tokens) or a generation does not fit the model's context. */
export class ContextOverflowError extends Vl2Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super('VL2_CONTEXT_OVERFLOW', message, options);
  }
}

/** The work was cancelled through an AbortSignal or by closing the model. */
export class AbortError extends Vl2Error {
  constructor(message = 'the operation was aborted', options?: { cause?: unknown }) {
    super('VL2_ABORTED', message, options);
  }
}

/** The native addon could not be loaded; the message says how to build it. */
export class NativeMissingError extends Vl2Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super('VL2_NATIVE_MISSING', message, options);
  }
}

/**
 * A response format (JSON Schema, grammar text, regular expression) is malformed or uses what the
 * constrained decoder does not support; refused before any generation (HTTP 400 on the server).
 */
export class ConstraintError extends Vl2Error {
  /** The schema keyword at fault (`uniqueItems`, `pattern`...), when one is. */
  readonly keyword?: string;
  /** Where in the schema: a JSON pointer such as `/properties/items/items`, when known. */
  readonly path?: string;
  /** Where in grammar or regex text: 1-based line and column, when known. */
  readonly line?: number;
  readonly column?: number;
  constructor(
    message: string,
    details: { keyword?: string; path?: string; line?: number; column?: number; cause?: unknown } = {},
  ) {
    super('VL2_CONSTRAINT', message, { cause: details.cause });
    this.keyword = details.keyword;
    this.path = details.path;
    this.line = details.line;
    this.column = details.column;
  }
}

/** Fetching a model from the Hugging Face hub (or finding it in the cache) failed; `code` says why. */
export class HubError extends Vl2Error {
  declare readonly code: HubErrorCode;
  /** The repository id, e.g. `deepseek-ai/deepseek-vl2-tiny`. */
  readonly repo: string;
  /** The file at fault, when one is. */
  readonly file?: string;
  constructor(
    code: HubErrorCode,
    message: string,
    details: { repo: string; file?: string; cause?: unknown },
  ) {
    super(code, message, { cause: details.cause });
    this.repo = details.repo;
    this.file = details.file;
  }
}

/** The batch queue's Redis server could not be reached (vl2 worker, vl2 batch --queue). */
export class QueueError extends Vl2Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super('VL2_QUEUE', message, options);
  }
}

const nativeCodes = new Set<string>([
  'VL2_INVALID_ARGUMENT',
  'VL2_CHECKPOINT',
  'VL2_UNSUPPORTED',
  'VL2_OUT_OF_MEMORY',
  'VL2_CONTEXT_OVERFLOW',
  'VL2_CUDA',
  'VL2_ABORTED',
  'VL2_CONSTRAINT',
  'VL2_INTERNAL',
]);

/** Rewraps an error thrown by the native addon into the matching typed error. */
export function fromNativeError(error: unknown): Vl2Error {
  if (error instanceof Vl2Error) return error;
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown })?.code;
  if (typeof code !== 'string' || !nativeCodes.has(code))
    return new Vl2Error('VL2_INTERNAL', message, { cause: error });
  switch (code) {
    case 'VL2_INVALID_ARGUMENT':
      return new InvalidArgumentError(message, { cause: error });
    case 'VL2_CHECKPOINT':
      return new CheckpointError(message, { cause: error });
    case 'VL2_UNSUPPORTED':
      return new UnsupportedError(message, { cause: error });
    case 'VL2_CONTEXT_OVERFLOW':
      return new ContextOverflowError(message, { cause: error });
    case 'VL2_ABORTED':
      return new AbortError(message, { cause: error });
    case 'VL2_CONSTRAINT':
      return new ConstraintError(message, { cause: error });
    default:
      return new Vl2Error(code as Vl2ErrorCode, message, { cause: error });
  }
}
