/** The page's reader of server-sent events, fed bodies cut at awkward places. */
import { describe, expect, it } from 'vitest';
import { sseEvents } from '../../lib/web/sse.js';

/** The events of a body that arrives in these pieces (text, or bytes to cut inside a character). */
async function read(pieces: (string | Uint8Array)[]): Promise<unknown[]> {
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const piece of pieces)
        controller.enqueue(typeof piece === 'string' ? new TextEncoder().encode(piece) : piece);
      controller.close();
    },
  });
  const events: unknown[] = [];
  for await (const event of sseEvents(body)) events.push(event);
  return events;
}

describe('sseEvents', () => {
  it('yields each data event as JSON until [DONE], across any cut', async () => {
    const stream = 'data: {"a":1}\n\ndata: {"b":"é"}\n\ndata: [DONE]\n\ndata: {"after":true}\n\n';
    const expected = [{ a: 1 }, { b: 'é' }];
    expect(await read([stream])).toEqual(expected);
    // Cut everywhere, also inside the two bytes of é.
    const bytes = new TextEncoder().encode(stream);
    for (let cut = 1; cut < bytes.length; cut++)
      expect(await read([bytes.slice(0, cut), bytes.slice(cut)]), `cut at ${cut}`).toEqual(expected);
  });

  it('reads CRLF line ends, multi-line data and comments; ends with the body', async () => {
    expect(await read([': keep-alive\r\n\r\ndata: {"x":\r\ndata: 2}\r\n\r\n'])).toEqual([{ x: 2 }]);
  });
});
