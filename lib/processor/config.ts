/**
 * What the processor reads from a model directory: the tiling candidates and context length from
 * config.json, the pad fill from processor_config.json (the official processor pads with its
 * image_mean as 8-bit, int(0.5 * 255) = 127 per channel for DeepSeek-VL2).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CheckpointError, InvalidArgumentError } from '../errors.js';
import { tileSize } from './tiling.js';

export interface ProcessorConfig {
  /** Local canvas sizes [width, height] in pixels, multiples of 384, in the reference's order. */
  candidateResolutions: [number, number][];
  /** The model's context in tokens: prompts longer than this are refused. */
  contextTokens: number;
  /** 8-bit RGB fill around a pad-resized image. */
  padColour: [number, number, number];
}

/** DeepSeek-VL2's processor: image_mean 0.5, context 4096 when a config names none. */
export const defaultPadColour: [number, number, number] = [127, 127, 127];
export const defaultContextTokens = 4096;

/** Throws InvalidArgumentError unless every candidate is a positive multiple of the tile size. */
export function checkCandidates(candidates: unknown): [number, number][] {
  const ok =
    Array.isArray(candidates) &&
    candidates.length > 0 &&
    candidates.every(
      (c) =>
        Array.isArray(c) &&
        c.length === 2 &&
        c.every((v) => Number.isInteger(v) && v > 0 && v % tileSize === 0),
    );
  if (!ok) {
    throw new InvalidArgumentError(
      `candidate_resolutions must be a non-empty list of [width, height] multiples of ${tileSize}`,
    );
  }
  return candidates as [number, number][];
}

async function readJsonFile(path: string, required: boolean): Promise<Record<string, unknown> | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (!required && (error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new CheckpointError(`cannot read ${path}: ${(error as Error).message}`, {
      file: path,
      cause: error,
    });
  }
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch (error) {
    throw new CheckpointError(`${path} is not valid JSON: ${(error as Error).message}`, {
      file: path,
      cause: error,
    });
  }
}

/** Reads config.json (required) and processor_config.json (optional) of a model directory. */
export async function readProcessorConfig(dir: string): Promise<ProcessorConfig> {
  const configPath = join(dir, 'config.json');
  const config = await readJsonFile(configPath, true).catch((error: CheckpointError) => {
    throw /ENOENT/.test(error.message)
      ? new CheckpointError(`model directory not found or has no config.json: ${dir}`, {
          file: configPath,
          cause: error,
        })
      : error;
  });
  const processorPath = join(dir, 'processor_config.json');
  const processor = await readJsonFile(processorPath, false);
  let candidateResolutions: [number, number][];
  try {
    candidateResolutions = checkCandidates(config?.candidate_resolutions);
  } catch (error) {
    throw new CheckpointError(`${configPath}: ${(error as Error).message}`, { file: configPath });
  }
  const processorCandidates = processor?.candidate_resolutions;
  if (
    processorCandidates !== undefined &&
    JSON.stringify(processorCandidates) !== JSON.stringify(candidateResolutions)
  ) {
    throw new CheckpointError(
      `${processorPath} and config.json disagree on candidate_resolutions; the directory is inconsistent`,
      { file: processorPath },
    );
  }
  const mean = processor?.image_mean;
  let padColour = defaultPadColour;
  if (mean !== undefined) {
    if (
      !Array.isArray(mean) ||
      mean.length !== 3 ||
      !mean.every((m) => typeof m === 'number' && m >= 0 && m <= 1)
    )
      throw new CheckpointError(`${processorPath}: image_mean must be three numbers in 0..1`, {
        file: processorPath,
      });
    padColour = mean.map((m: number) => Math.trunc(m * 255)) as [number, number, number];
  }
  const language = config?.language_config as { max_position_embeddings?: unknown } | undefined;
  const contextTokens =
    typeof language?.max_position_embeddings === 'number'
      ? language.max_position_embeddings
      : defaultContextTokens;
  return { candidateResolutions, contextTokens, padColour };
}
