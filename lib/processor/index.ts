/**
 * The processor: messages with text and images in, exactly what the official DeepSeek-VL2 processor
 * produces out (token ids, image token positions, spatial crops, uint8 tiles), ready for the engine.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CheckpointError, ContextOverflowError, InvalidArgumentError } from '../errors.js';
import { type ImageInput, type ImageLoadOptions, loadImage } from './image.js';
import { type ChatMessage, normaliseMessage } from './messages.js';
import { applyTemplate } from './template.js';
import { imageTokenCount, tileSize, tilingOf, writeTiles } from './tiling.js';
import { HfTokenizer, type TextTokenizer } from './tokenizer.js';

export type { ImageInput } from './image.js';
export type { ChatMessage, ContentPart } from './messages.js';
export { ByteTokenizer, HfTokenizer, type TextTokenizer } from './tokenizer.js';

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

export class Processor {
  constructor(
    readonly tokenizer: TextTokenizer,
    private readonly candidateResolutions: [number, number][],
    private readonly contextTokens: number,
  ) {}

  /** The processor of a model directory: its config.json and tokenizer.json (or another tokenizer). */
  static async fromModelDir(dir: string, tokenizer?: TextTokenizer | string): Promise<Processor> {
    const configPath = join(dir, 'config.json');
    const configText = await readFile(configPath, 'utf8').catch((error: Error) => {
      throw new CheckpointError(
        `${error.message.includes('ENOENT') ? `model directory not found or has no config.json: ${dir}` : error.message}`,
        { file: configPath, cause: error },
      );
    });
    const config = JSON.parse(configText) as {
      candidate_resolutions: [number, number][];
      language_config?: { max_position_embeddings?: number };
    };
    const textTokenizer =
      typeof tokenizer === 'object'
        ? tokenizer
        : await HfTokenizer.load(tokenizer ?? join(dir, 'tokenizer.json'));
    return new Processor(
      textTokenizer,
      config.candidate_resolutions,
      config.language_config?.max_position_embeddings ?? 4096,
    );
  }

  async process(messages: ChatMessage[], options: ProcessOptions = {}): Promise<ProcessedPrompt> {
    if (!Array.isArray(messages) || messages.length === 0)
      throw new InvalidArgumentError('messages must be a non-empty array');
    const normalised = messages.map((m, i) => normaliseMessage(m, i));
    const inputs: ImageInput[] = normalised.flatMap((m) => m.images);
    const images = await Promise.all(inputs.map((input) => loadImage(input, options)));
    const localTiling = images.length <= maxImagesWithLocalTiling;
    const canvases = images.map((image) => tilingOf(image, this.candidateResolutions, localTiling));
    const tileCounts = canvases.map(([w, h]) => 1 + (w / tileSize) * (h / tileSize));
    const crops = canvases.map(([w, h]) => [w / tileSize, h / tileSize] as [number, number]);
    const numImageTokens = crops.map(imageTokenCount);

    const templated = applyTemplate(normalised, this.tokenizer, numImageTokens);
    const limit = options.maxContextTokens ?? this.contextTokens;
    const needed = templated.inputIds.length + (options.reserveTokens ?? 0);
    if (needed > limit) {
      throw new ContextOverflowError(
        `the prompt needs ${templated.inputIds.length} tokens (${numImageTokens.reduce((a, b) => a + b, 0)} of them ` +
          `for ${images.length} images)${options.reserveTokens ? ` plus ${options.reserveTokens} for the answer` : ''}; ` +
          `the context holds ${limit}`,
      );
    }
    const tileBytes = tileSize * tileSize * 3;
    const tiles = new Uint8Array(tileCounts.reduce((a, b) => a + b, 0) * tileBytes);
    let offset = 0;
    images.forEach((image, i) => {
      writeTiles(image, canvases[i] as [number, number], tiles, offset);
      offset += (tileCounts[i] as number) * tileBytes;
    });
    return {
      promptText: templated.promptText,
      inputIds: Int32Array.from(templated.inputIds),
      imageTokenPositions: Int32Array.from(templated.imageTokenPositions),
      imagesSpatialCrop: Int32Array.from(crops.flat()),
      tiles,
      numImageTokens,
      imageSizes: images.map((image) => [image.width, image.height]),
    };
  }
}
