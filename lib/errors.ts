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
  | 'VL2_INTERNAL';

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

const nativeCodes = new Set<string>([
  'VL2_INVALID_ARGUMENT',
  'VL2_CHECKPOINT',
  'VL2_UNSUPPORTED',
  'VL2_OUT_OF_MEMORY',
  'VL2_CONTEXT_OVERFLOW',
  'VL2_CUDA',
  'VL2_ABORTED',
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
    default:
      return new Vl2Error(code as Vl2ErrorCode, message, { cause: error });
  }
}
