/**
 * Server-sent events as OpenAI streams them: each object as `data: {json}` and a blank line, then
 * `data: [DONE]`. A failure after the headers went out cannot change the status any more; it becomes
 * an `{ error }` event (OpenAI's clients raise it as an APIError) before [DONE].
 */
import { Readable } from 'node:stream';
import type { OpenAiErrorBody } from './errors.js';

export const sseHeaders = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
  // Proxies such as nginx would otherwise buffer the stream and hold back every token.
  'x-accel-buffering': 'no',
};

/** The response body of a stream of events. */
export function sseBody(
  events: AsyncIterable<object>,
  errorBody: (error: unknown) => OpenAiErrorBody,
): Readable {
  async function* lines(): AsyncGenerator<string> {
    try {
      for await (const event of events) yield `data: ${JSON.stringify(event)}\n\n`;
    } catch (error) {
      yield `data: ${JSON.stringify(errorBody(error))}\n\n`;
    }
    yield 'data: [DONE]\n\n';
  }
  return Readable.from(lines(), { objectMode: false });
}
