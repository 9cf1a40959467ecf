/**
 * The chat as data: turns of a prompt with its images and the answer to it, and the request messages
 * they make. Images go before the prompt's text, each as a data: URL in an image_url part (the server
 * places them as `<image>\n` markers, the layout of the model's examples).
 */
import type { RequestMessage, RequestPart, Usage } from './api.js';

export interface Answer {
  /** The raw generated text, grounding tags included (the model reads it back in later turns). */
  text: string;
  finishReason?: string;
  usage?: Usage;
  stopped?: boolean;
  error?: string;
  /** Client timing, ms since the page loaded: the request sent, the first and the last text. */
  sentAt?: number;
  firstTextAt?: number;
  doneAt?: number;
}

export interface Turn {
  prompt: string;
  /** data: URLs, in the order they were added. */
  images: string[];
  answer: Answer;
}

function userContent(turn: Turn): RequestPart[] {
  const parts: RequestPart[] = turn.images.map((url) => ({ type: 'image_url', image_url: { url } }));
  if (turn.prompt) parts.push({ type: 'text', text: turn.prompt });
  return parts;
}

/** The messages that ask for the answer of turns[last]: every turn before it with its answer. */
export function requestMessages(turns: Turn[], last: number): RequestMessage[] {
  return turns.slice(0, last + 1).flatMap((turn, i): RequestMessage[] => {
    const user: RequestMessage = { role: 'user', content: userContent(turn) };
    return i < last && turn.answer.text ? [user, { role: 'assistant', content: turn.answer.text }] : [user];
  });
}

/**
 * The image a turn's grounding boxes are drawn on: the latest image sent up to that turn (as the
 * official demo draws on the last image).
 */
export function groundingImage(turns: Turn[], index: number): string | undefined {
  for (let i = index; i >= 0; i--) {
    const images = turns[i]?.images ?? [];
    if (images.length) return images[images.length - 1];
  }
  return undefined;
}
