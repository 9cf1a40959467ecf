/**
 * Server-sent events read from a fetch response body, for POST requests (EventSource can only GET):
 * the JSON of each event's `data:` lines, until `data: [DONE]` or the end of the body.
 */
export async function* sseEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<unknown> {
  const reader = body.getReader();
  const decoder = new TextDecoder(); // {stream: true} keeps a character split across reads whole
  let buffer = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true }).replace(/\r\n?/g, '\n');
      const events = buffer.split('\n\n');
      buffer = events.pop() ?? ''; // an event not yet complete
      for (const event of events) {
        const data = event
          .split('\n')
          .filter((line) => line.startsWith('data:'))
          .map((line) => line.slice('data:'.length).trimStart())
          .join('\n');
        if (data === '[DONE]') return;
        if (data) yield JSON.parse(data);
      }
    }
  } finally {
    // Leaving early (Stop, an error event) cancels the body, which closes the connection.
    await reader.cancel().catch(() => {});
  }
}
