/**
 * The processor: messages with text and images in, exactly what the official DeepSeek-VL2 processor
 * produces out (token ids, image token positions, spatial crops, uint8 tiles), ready for the engine.
 */
import { join } from 'node:path';
import { ContextOverflowError, InvalidArgumentError } from '../errors.js';
import {
  checkCandidates,
  defaultContextTokens,
  defaultPadColour,
  type ProcessorConfig,
  readProcessorConfig,
} from './config.js';
import { decodeForTiling } from './decode.js';
import { decodeSlots } from './decode-slots.js';
import type { ImageInput, ImageLoadOptions } from './image.js';
import { type ChatMessage, normaliseMessage } from './messages.js';
import { applyTemplate } from './template.js';
import { imageTokenCount, type Rgb, tileCountOf, tileSize, tilingOf, writeTiles } from './tiling.js';
import { HfTokenizer, type TextTokenizer } from './tokenizer.js';

export { ByteTokenizer } from './byte-tokenizer.js';
export type { ProcessorConfig } from './config.js';
export { imageDecoder } from './decode.js';
export { type ImageInput, type ImageLoadOptions, loadImage } from './image.js';
export { imageThreads, setImageThreads } from './image-threads.js';
export type { ChatMessage, ContentPart } from './messages.js';
export { HfTokenizer, type TextTokenizer } from './tokenizer.js';

/** Everything the engine needs for one prompt. */
export interface ProcessedPrompt {
  promptText: string;
  inputIds: Int32Array;
  imageTokenPositions: Int32Array;
  /** Per image [across, down], flattened. */
  imagesSpatialCrop: Int32Array;
  /** All tiles, [tiles][384][384][3] uint8 RGB, each image's global view first. */
  tiles: Uint8Array;
  numImageTokens: number[];
  /** Original image sizes [width, height], for mapping grounding boxes back. */
  imageSizes: [number, number][];
}

export interface ProcessOptions extends ImageLoadOptions {
  /** Refuse prompts longer than this many tokens (default: the model's context). */
  maxContextTokens?: number;
  /** Tokens to keep free for the answer when checking the context (default 0). */
  reserveTokens?: number;
}

/** With more images than this in a conversation, the reference gives every image a 1x1 canvas. */
const maxImagesWithLocalTiling = 2;

interface TiledInput {
  /** [1 + across * down][384][384][3] */
  tiles: Uint8Array;
  crop: [number, number];
  size: [number, number];
}

/**
 * Decodes and tiles one image inside a decode slot: the decoded pixels are dropped as soon as the
 * tiles exist, so at most `maxDecodedImages` are held at once however many prompts are in flight.
 */
function tileInput(
  input: ImageInput,
  candidates: [number, number][],
  localTiling: boolean,
  fill: Rgb,
  options: ImageLoadOptions,
): Promise<TiledInput> {
  return decodeSlots.run(async () => {
    const image = await decodeForTiling(input, options);
    const canvas = tilingOf(image, candidates, localTiling);
    // Not zero-filled: writeTiles writes every byte, and zeroing megabytes would cost the JS thread.
    const tiles = new Uint8Array(
      Buffer.allocUnsafeSlow(tileCountOf(canvas) * tileSize * tileSize * 3).buffer,
    );
    const { spatialCrop } = await writeTiles(image, canvas, fill, tiles, 0, true);
    return { tiles, crop: spatialCrop, size: [image.width, image.height] };
  });
}

/** How to build a processor: a model directory, or a config and a tokenizer given directly. */
export type CreateProcessorOptions =
  | {
      modelDir: string;
      /** A tokenizer, or the path of a tokenizer.json (default: the directory's tokenizer.json). */
      tokenizer?: TextTokenizer | string;
    }
  | {
      /** Candidate resolutions are required; context and pad fill default to DeepSeek-VL2's. */
      config: Pick<ProcessorConfig, 'candidateResolutions'> & Partial<ProcessorConfig>;
      tokenizer: TextTokenizer;
    };

export class Processor {
  readonly config: ProcessorConfig;

  constructor(
    readonly tokenizer: TextTokenizer,
    config: Pick<ProcessorConfig, 'candidateResolutions'> & Partial<ProcessorConfig>,
  ) {
    this.config = {
      candidateResolutions: checkCandidates(config.candidateResolutions),
      contextTokens: config.contextTokens ?? defaultContextTokens,
      padColour: config.padColour ?? defaultPadColour,
    };
  }

  /** The processor of a model directory: its config files and tokenizer.json (or another tokenizer). */
  static async fromModelDir(dir: string, tokenizer?: TextTokenizer | string): Promise<Processor> {
    const config = await readProcessorConfig(dir);
    const textTokenizer =
      typeof tokenizer === 'object'
        ? tokenizer
        : await HfTokenizer.load(tokenizer ?? join(dir, 'tokenizer.json'));
    return new Processor(textTokenizer, config);
  }

  /**
   * A conversation (ending with a user message) as the engine's input: decoded images tiled, the
   * template applied, ids built. Throws InvalidArgumentError for malformed messages, ImageError for bad
   * images, ContextOverflowError when the prompt does not fit.
   */
  async process(messages: ChatMessage[], options: ProcessOptions = {}): Promise<ProcessedPrompt> {
    if (!Array.isArray(messages) || messages.length === 0)
      throw new InvalidArgumentError('messages must be a non-empty array');
    const normalised = messages.map((m, i) => normaliseMessage(m, i));
    const inputs: ImageInput[] = normalised.flatMap((m) => m.images);
    const localTiling = inputs.length <= maxImagesWithLocalTiling;
    const images = await Promise.all(
      inputs.map((input) =>
        tileInput(input, this.config.candidateResolutions, localTiling, this.config.padColour, options),
      ),
    );
    const numImageTokens = images.map((image) => imageTokenCount(image.crop));

    const templated = applyTemplate(normalised, this.tokenizer, numImageTokens);
    const limit = options.maxContextTokens ?? this.config.contextTokens;
    const needed = templated.inputIds.length + (options.reserveTokens ?? 0);
    if (needed > limit) {
      throw new ContextOverflowError(
        `the prompt needs ${templated.inputIds.length} tokens (${numImageTokens.reduce((a, b) => a + b, 0)} of them ` +
          `for ${images.length} images)${options.reserveTokens ? ` plus ${options.reserveTokens} for the answer` : ''}; ` +
          `the context holds ${limit}`,
      );
    }
    const tiles = concatenate(images.map((image) => image.tiles));
    return {
      promptText: templated.promptText,
      inputIds: Int32Array.from(templated.inputIds),
      imageTokenPositions: Int32Array.from(templated.imageTokenPositions),
      imagesSpatialCrop: Int32Array.from(images.flatMap((image) => image.crop)),
      tiles,
      numImageTokens,
      imageSizes: images.map((image) => image.size),
    };
  }
}

/** The parts end to end; a single part is returned as it is (the one-image prompt copies nothing). */
function concatenate(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0] as Uint8Array;
  const whole = new Uint8Array(parts.reduce((bytes, part) => bytes + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    whole.set(part, offset);
    offset += part.length;
  }
  return whole;
}

/** A processor from a model directory, or from a config and tokenizer given directly. */
export async function createProcessor(options: CreateProcessorOptions): Promise<Processor> {
  if ('modelDir' in options) return Processor.fromModelDir(options.modelDir, options.tokenizer);
  if (!options?.config || !options.tokenizer)
    throw new InvalidArgumentError('createProcessor needs { modelDir } or { config, tokenizer }');
  return new Processor(options.tokenizer, options.config);
}
