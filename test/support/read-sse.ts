export interface SseEvent {
  id?: string;
  event?: string;
  data: string;
}

/** Reads Server-Sent Events from a fetch response until it ends or `stop` says enough (then aborts it). */
export async function readSse(
  response: Response,
  stop: (events: SseEvent[]) => boolean = () => false,
  abort?: AbortController,
): Promise<SseEvent[]> {
  const events: SseEvent[] = [];
  const decoder = new TextDecoder();
  let buffered = '';
  const reader = response.body!.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      buffered += decoder.decode(value, { stream: true });
      let end = buffered.indexOf('\n\n');
      while (end >= 0) {
        const block = buffered.slice(0, end);
        buffered = buffered.slice(end + 2);
        end = buffered.indexOf('\n\n');
        const event: SseEvent = { data: '' };
        const data: string[] = [];
        for (const line of block.split('\n')) {
          if (line.startsWith('id: ')) event.id = line.slice(4);
          else if (line.startsWith('event: ')) event.event = line.slice(7);
          else if (line.startsWith('data: ')) data.push(line.slice(6));
        }
        if (data.length === 0) continue; // a comment (keep-alive)
        event.data = data.join('\n');
        events.push(event);
        if (stop(events)) {
          abort?.abort();
          await reader.cancel().catch(() => undefined);
          return events;
        }
      }
    }
  } catch (error) {
    if (!abort?.signal.aborted) throw error;
  }
  return events;
}
