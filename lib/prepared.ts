/**
 * A prompt already through the processor (images decoded and tiled, template applied, ids built):
 * what Model.prepare returns and Model.chat / generate take in place of messages. A batch prepares the
 * next requests this way while the current ones generate, so the GPU never waits on image decoding.
 */
import type { ProcessedPrompt } from './processor/index.js';

export class PreparedPrompt {
  constructor(readonly prompt: ProcessedPrompt) {}
}
