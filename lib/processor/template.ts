/**
 * The DeepSeek-VL2 'deepseek' conversation template (SPEC.md section 7). The ids are built turn by
 * turn, not by tokenising the display string: BOS; each user turn as the tokens of
 * `<|User|>: {text}\n\n<|Assistant|>:` with every `<image>` replaced by its run of image ids (text
 * pieces around images tokenised separately); each earlier answer as its stripped text's tokens plus
 * EOS. The system prompt reaches only the display string, as in the reference.
 */
import { InvalidArgumentError } from '../errors.js';
import { imagePlaceholder, type NormalisedMessage } from './messages.js';
import { eosToken, type TextTokenizer } from './tokenizer.js';

export interface TemplatedPrompt {
  /** The display string (the reference's sft_format). */
  promptText: string;
  inputIds: number[];
  /** Positions of image ids in inputIds. */
  imageTokenPositions: number[];
}

/** imageTokens[i]: how many ids image i occupies. */
export function applyTemplate(
  messages: NormalisedMessage[],
  tokenizer: TextTokenizer,
  imageTokens: number[],
): TemplatedPrompt {
  const system = messages.filter((m) => m.role === 'system').map((m) => m.text);
  const turns = messages.filter((m) => m.role !== 'system');
  if (turns.length === 0 || turns[turns.length - 1]?.role !== 'user') {
    throw new InvalidArgumentError('a conversation must end with a user message');
  }
  let promptText = system.length && system.join('\n') ? `${system.join('\n')}\n\n` : '';
  const inputIds = [tokenizer.bosId];
  const imageTokenPositions: number[] = [];
  let image = 0;
  let previous: string | undefined;
  for (const turn of turns) {
    if (turn.role === previous) throw new InvalidArgumentError(`two ${turn.role} messages in a row`);
    previous = turn.role;
    if (turn.role === 'assistant') {
      promptText += ` ${turn.text}${eosToken}`;
      inputIds.push(...tokenizer.encode(turn.text), tokenizer.eosId);
      continue;
    }
    const text = `<|User|>: ${turn.text}\n\n<|Assistant|>:`;
    promptText += text;
    text.split(imagePlaceholder).forEach((piece, i) => {
      if (i > 0) {
        const count = imageTokens[image++];
        if (count === undefined) throw new InvalidArgumentError('more <image> placeholders than images');
        for (let k = 0; k < count; k++) {
          imageTokenPositions.push(inputIds.length);
          inputIds.push(tokenizer.imageId);
        }
      }
      if (piece) inputIds.push(...tokenizer.encode(piece));
    });
  }
  return { promptText, inputIds, imageTokenPositions };
}
