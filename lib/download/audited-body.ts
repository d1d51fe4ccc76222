/** How a response body ended: every byte handed on, or stopped early (the client left, or a shard failed). */
export type BodyEnd = { bytes: number; outcome: 'completed' | 'cut' };

/**
 * The same bytes as `body`, counting what the consumer pulls, and telling `onEnd` once how it ended.
 * Pull-based like the body it wraps: nothing is read ahead of the consumer, so `bytes` is what was
 * handed to the connection, not what storage delivered. `onEnd` is awaited before the stream closes
 * (or its cancel returns), so a download is on record by the time its response has ended.
 */
export function auditedBody(
  body: ReadableStream<Uint8Array>,
  onEnd: (end: BodyEnd) => Promise<void> | void,
): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  let bytes = 0;
  let ended = false;
  const end = async (outcome: BodyEnd['outcome']) => {
    if (ended) return;
    ended = true;
    await onEnd({ bytes, outcome });
  };
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const { done, value } = await reader.read();
          if (done) {
            await end('completed');
            controller.close();
            return;
          }
          bytes += value.byteLength;
          controller.enqueue(value);
        } catch (error) {
          await end('cut');
          controller.error(error);
        }
      },
      async cancel(reason) {
        await end('cut');
        await reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
}
