/**
 * Fuzz: `vl2 batch` input lines (lib/cli/batch-lines.ts) and the messages inside them
 * (lib/processor/messages.ts). Any line is either a request with a string id and messages that
 * normalise, or an InvalidArgumentError naming the line; never another exception (which would have
 * been written to the output as a bare TypeError before).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseBatchLine } from '../../lib/cli/batch-lines.js';
import { InvalidArgumentError } from '../../lib/errors.js';
import { normaliseMessage } from '../../lib/processor/messages.js';
import { fuzzRuns, jsonishText } from './arbitraries.js';

const exampleLines = [
  {
    id: 'a',
    prompt: 'Describe this.',
    images: ['x.jpg'],
    options: { maxTokens: 8, temperature: 0.7, seed: 1 },
  },
  {
    id: 'b',
    messages: [
      { role: 'system', content: 'Be brief.' },
      {
        role: 'user',
        content: [
          { type: 'image', image: 'x.jpg' },
          { type: 'text', text: 'What is it?' },
          { type: 'image_url', image_url: { url: 'data:image/png;base64,AA==' } },
        ],
      },
      { role: 'assistant', content: 'A cat.' },
      { role: 'user', content: '<image>\nAnd this?', images: ['y.png'] },
    ],
  },
];

describe('fuzz: batch JSONL lines', () => {
  it('every line becomes a checked request or an InvalidArgumentError naming its line', () => {
    let accepted = 0;
    fc.assert(
      fc.property(fc.oneof(...exampleLines.map((line) => jsonishText(line))), fc.nat(), (text, n) => {
        const lineNumber = n + 1;
        let request: ReturnType<typeof parseBatchLine>;
        try {
          request = parseBatchLine(text, lineNumber);
        } catch (error) {
          expect(error).toBeInstanceOf(InvalidArgumentError);
          expect((error as Error).message).toContain(`line ${lineNumber}`);
          return;
        }
        accepted++;
        expect(typeof request.id).toBe('string');
        for (const [i, message] of request.messages.entries()) normaliseMessage(message, i);
      }),
      {
        numRuns: fuzzRuns(3000),
        // Found by this property: JSON null, a text part whose text is not a string, images not a list.
        examples: [
          ['null', 1],
          ['{"messages":[{"role":"user","content":[{"type":"text","text":5}]}]}', 2],
          ['{"messages":[{"role":"user","content":"<image>","images":"x"}]}', 3],
          ['{"prompt":"p","images":[1]}', 4],
        ],
      },
    );
    expect(accepted).toBeGreaterThan(0);
  });
});
