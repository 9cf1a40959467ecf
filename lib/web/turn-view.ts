/**
 * One turn on the page: the person's images and prompt, then the answer as it streams in, shown
 * without its grounding tags, its boxes drawn over their image, and a line of token counts and speed.
 */
import { groundingDisplayText, parseGrounding } from '../grounding-text.js';
import { groundingFigure } from './boxes.js';
import type { Answer, Turn } from './conversation.js';

function element<K extends keyof HTMLElementTagNameMap>(tag: K, className: string, text = '') {
  const node = document.createElement(tag);
  node.className = className;
  node.textContent = text;
  return node;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

/** Token counts from the server's usage; time to first text and tokens/s from the page's clock. */
export function statsLine(answer: Answer): string {
  const parts: string[] = [];
  const { usage, sentAt, firstTextAt, doneAt } = answer;
  if (usage) {
    const imageTokens = usage.prompt_tokens_details?.image_tokens ?? 0;
    parts.push(`${usage.prompt_tokens} prompt tokens${imageTokens ? ` (${imageTokens} for images)` : ''}`);
    parts.push(`${usage.completion_tokens} answer tokens`);
  }
  if (sentAt !== undefined && firstTextAt !== undefined)
    parts.push(`first token after ${seconds(firstTextAt - sentAt)}`);
  // Decode speed: the tokens after the first, over the time after the first.
  if (
    usage &&
    firstTextAt !== undefined &&
    doneAt !== undefined &&
    usage.completion_tokens > 1 &&
    doneAt > firstTextAt
  )
    parts.push(`${((usage.completion_tokens - 1) / ((doneAt - firstTextAt) / 1000)).toFixed(1)} tokens/s`);
  if (answer.finishReason === 'length') parts.push('stopped at the token limit');
  if (answer.stopped) parts.push('stopped');
  return parts.join(' · ');
}

export class TurnView {
  readonly element = element('li', 'turn');
  private readonly answer = element('div', 'answer');
  private readonly answerText = element('div', 'answer-text');
  private readonly figureSlot = element('div', 'figure-slot');
  private readonly stats = element('div', 'stats');
  private readonly failure = element('div', 'answer-error');
  private drawn = '';

  constructor(turn: Turn) {
    const user = element('div', 'prompt');
    if (turn.images.length) {
      const images = element('div', 'prompt-images');
      for (const url of turn.images) {
        const image = new Image();
        image.src = url;
        image.alt = 'an image sent with this prompt';
        images.append(image);
      }
      user.append(images);
    }
    user.append(element('div', 'prompt-text', turn.prompt));
    this.answer.append(this.answerText, this.figureSlot, this.failure, this.stats);
    this.element.append(user, this.answer);
  }

  /** Shows the answer as it stands; `image` is the one its boxes are drawn on. */
  update(answer: Answer, state: 'streaming' | 'done', image: string | undefined): void {
    this.answer.dataset.state = answer.error ? 'error' : answer.stopped ? 'stopped' : state;
    this.answerText.textContent = groundingDisplayText(answer.text);
    this.failure.textContent = answer.error ?? '';
    this.stats.textContent = statsLine(answer);
    const objects = image ? parseGrounding(answer.text) : [];
    const key = JSON.stringify([image, objects]);
    if (key === this.drawn) return;
    this.drawn = key;
    if (!image || objects.length === 0) {
      this.figureSlot.replaceChildren();
      return;
    }
    groundingFigure(image, objects).then(
      (figure) => {
        if (this.drawn === key) this.figureSlot.replaceChildren(figure);
      },
      () => this.figureSlot.replaceChildren(element('div', 'answer-error', 'The image could not be shown.')),
    );
  }
}
