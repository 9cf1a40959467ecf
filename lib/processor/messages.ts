/**
 * Conversation messages as users give them: OpenAI-style content parts, or DeepSeek's form (a text
 * with `<image>` placeholders plus an `images` list). Both normalise to text with `<image>` markers
 * and the images in order.
 */
import { InvalidArgumentError } from '../errors.js';
import type { ImageInput } from './image.js';

export type ContentPart =
  | { type: 'text'; text: string }
  | { type: 'image'; image: ImageInput }
  | { type: 'image_url'; image_url: { url: string } | string };

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  /** Text (with `<image>` placeholders in DeepSeek's form) or content parts (OpenAI's form). */
  content: string | ContentPart[];
  /** DeepSeek's form: the images the `<image>` placeholders stand for, in order. */
  images?: ImageInput[];
}

export interface NormalisedMessage {
  role: ChatMessage['role'];
  /** Stripped text with `<image>` where each image goes. */
  text: string;
  images: ImageInput[];
}

export const imagePlaceholder = '<image>';

/**
 * Content parts join in order; an image part becomes `<image>` followed by a newline when text
 * follows, the layout of the official examples (`<image>\nDescribe this.`).
 */
export function normaliseMessage(message: ChatMessage, index: number): NormalisedMessage {
  const where = `messages[${index}]`;
  if (!message || typeof message !== 'object') throw new InvalidArgumentError(`${where} must be an object`);
  if (!['system', 'user', 'assistant'].includes(message.role)) {
    throw new InvalidArgumentError(
      `${where}.role must be 'system', 'user' or 'assistant', got ${String(message.role)}`,
    );
  }
  if (message.images !== undefined && !Array.isArray(message.images))
    throw new InvalidArgumentError(`${where}.images must be an array`);
  if (typeof message.content === 'string') {
    const images = message.images ?? [];
    const placeholders = message.content.split(imagePlaceholder).length - 1;
    if (placeholders !== images.length) {
      throw new InvalidArgumentError(
        `${where} has ${placeholders} ${imagePlaceholder} placeholders but ${images.length} images`,
      );
    }
    return { role: message.role, text: message.content.trim(), images };
  }
  if (!Array.isArray(message.content))
    throw new InvalidArgumentError(`${where}.content must be a string or an array of parts`);
  if (message.images?.length)
    throw new InvalidArgumentError(`${where}: give images as content parts or in images, not both`);
  let text = '';
  const images: ImageInput[] = [];
  message.content.forEach((part, i) => {
    if (part?.type === 'text') {
      if (typeof part.text !== 'string')
        throw new InvalidArgumentError(`${where}.content[${i}].text must be a string`);
      if (part.text.includes(imagePlaceholder)) {
        throw new InvalidArgumentError(
          `${where}.content[${i}]: text parts may not contain ${imagePlaceholder}; use an image part`,
        );
      }
      text += part.text;
    } else if (part?.type === 'image' || part?.type === 'image_url') {
      const image =
        part.type === 'image'
          ? part.image
          : typeof part.image_url === 'string'
            ? part.image_url
            : part.image_url?.url;
      if (image === undefined || image === null)
        throw new InvalidArgumentError(`${where}.content[${i}] has no image`);
      images.push(image);
      text += i < message.content.length - 1 ? `${imagePlaceholder}\n` : imagePlaceholder;
    } else {
      throw new InvalidArgumentError(`${where}.content[${i}].type must be 'text', 'image' or 'image_url'`);
    }
  });
  if (message.role !== 'user' && images.length)
    throw new InvalidArgumentError(`${where}: only user messages carry images`);
  return { role: message.role, text: text.trim(), images };
}
