/**
 * One line of a `vl2 batch` input file to a request, checked whole before the model sees it: a line
 * that is not a JSON object, lacks a prompt, or carries bad messages or options is refused with an
 * InvalidArgumentError naming its line (written to the output as that line's error; the batch goes on).
 * Lines: { "id": "...", "prompt": "...", "images": ["a.jpg"], "options": { "maxTokens": 64 } }
 * and optionally "responseFormat": { "type": "json_schema", "schema": {...} } (or inside "options").
 * or { "id": "...", "messages": [...] }.
 */
import type { BatchRequest } from '../batch.js';
import { InvalidArgumentError } from '../errors.js';
import { resolveOptions } from '../options.js';
import { normaliseMessage } from '../processor/messages.js';
import { grammarOf } from '../structured/response-format.js';

/** A refused line; `requestId` is the line's own id when it had a usable one, so a resumed run skips it. */
export class BatchLineError extends InvalidArgumentError {
  constructor(
    message: string,
    readonly requestId: string,
  ) {
    super(message);
  }
}

export function parseBatchLine(text: string, lineNumber: number): BatchRequest {
  try {
    return parseLine(text, lineNumber);
  } catch (error) {
    let id = `line-${lineNumber}`;
    try {
      const raw = (JSON.parse(text) as { id?: unknown } | null)?.id;
      if (typeof raw === 'string' || typeof raw === 'number') id = String(raw);
    } catch {
      // not JSON: the line number names it
    }
    throw new BatchLineError((error as Error).message, id);
  }
}

function parseLine(text: string, lineNumber: number): BatchRequest {
  const where = `line ${lineNumber}`;
  let line: unknown;
  try {
    line = JSON.parse(text);
  } catch (error) {
    throw new InvalidArgumentError(`${where}: not JSON (${(error as Error).message})`);
  }
  if (typeof line !== 'object' || line === null || Array.isArray(line))
    throw new InvalidArgumentError(`${where}: must be a JSON object`);
  const { id, prompt, images, messages, responseFormat } = line as Record<string, unknown>;
  let { options } = line as Record<string, unknown>;
  // A line's responseFormat may sit beside its options, as the README's extraction example writes it.
  if (responseFormat !== undefined) {
    if (options !== undefined && (typeof options !== 'object' || options === null || Array.isArray(options)))
      throw new InvalidArgumentError(`${where}: "options" must be an object`);
    options = { ...(options as object | undefined), responseFormat };
  }
  if (id !== undefined && typeof id !== 'string' && typeof id !== 'number')
    throw new InvalidArgumentError(`${where}: "id" must be a string`);
  if (options !== undefined) {
    if (typeof options !== 'object' || options === null || Array.isArray(options))
      throw new InvalidArgumentError(`${where}: "options" must be an object`);
    if ('signal' in options)
      throw new InvalidArgumentError(`${where}: "options.signal" is not a batch option`);
    try {
      const resolved = resolveOptions(options);
      // An unsupported schema is refused with its line, not when the line's turn comes.
      if (resolved.responseFormat) grammarOf(resolved.responseFormat);
    } catch (error) {
      throw new InvalidArgumentError(`${where}: ${(error as Error).message}`, { cause: error });
    }
  }
  const request = {
    id: id === undefined ? `line-${lineNumber}` : String(id),
    options: options as BatchRequest['options'],
  };
  if (messages !== undefined) {
    if (!Array.isArray(messages) || messages.length === 0)
      throw new InvalidArgumentError(`${where}: "messages" must be a non-empty array`);
    messages.forEach((message, i) => {
      try {
        normaliseMessage(message, i);
      } catch (error) {
        throw new InvalidArgumentError(`${where}: ${(error as Error).message}`);
      }
    });
    return { ...request, messages };
  }
  if (typeof prompt !== 'string') throw new InvalidArgumentError(`${where}: needs "prompt" or "messages"`);
  if (images !== undefined && !(Array.isArray(images) && images.every((i) => typeof i === 'string')))
    throw new InvalidArgumentError(`${where}: "images" must be an array of file paths`);
  const paths = (images as string[] | undefined) ?? [];
  const content = `${paths.map(() => '<image>\n').join('')}${prompt}`;
  return { ...request, messages: [{ role: 'user', content, images: paths }] };
}
