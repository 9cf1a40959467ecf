/** The text of a grounded answer as the web demo shows it, at the end and part-way through a stream. */
import { describe, expect, it } from 'vitest';
import { groundingDisplayText } from '../lib/grounding-text.js';

describe('groundingDisplayText', () => {
  it('keeps the labels and drops the tags and coordinates', () => {
    expect(
      groundingDisplayText(
        '<|ref|>The cat<|/ref|><|det|>[[1, 2, 3, 4]]<|/det|> sits by <|ref|>the dog<|/ref|><|det|>[[5, 6, 7, 8], [9, 10, 11, 12]]<|/det|>.',
      ),
    ).toBe('The cat sits by the dog.');
  });

  it('hides a det block still streaming in and shows a label still open', () => {
    expect(groundingDisplayText('<|ref|>The cat<|/ref|><|det|>[[1, 2, 3')).toBe('The cat');
    expect(groundingDisplayText('Here: <|ref|>The ca')).toBe('Here: The ca');
    expect(groundingDisplayText('<|grounding|>A plain answer.')).toBe('A plain answer.');
  });
});
