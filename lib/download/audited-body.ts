/** How a response body ended: every byte handed on, or stopped early (the client left, or a shard failed). */
export type BodyEnd = { bytes: number; outcome: 'completed' | 'cut' };

/**
 * The same bytes as `body`, counting what the consumer pulls, and telling `onEnd` once how it ended.
 * Pull-based like the body it wraps: nothing is read ahead of the consumer, so `bytes` is what was
 * handed to the connection, not what storage delivered.
 */
export function auditedBody(
  body: ReadableStream<Uint8Array>,
  onEnd: (end: BodyEnd) => void,
): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  let bytes = 0;
  let ended = false;
  const end = (outcome: BodyEnd['outcome']) => {
    if (ended) return;
    ended = true;
    onEnd({ bytes, outcome });
  };
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const { done, value } = await reader.read();
          if (done) {
            end('completed');
            controller.close();
            return;
          }
          bytes += value.byteLength;
          controller.enqueue(value);
        } catch (error) {
          end('cut');
          controller.error(error);
        }
      },
      async cancel(reason) {
        end('cut');
        await reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
}
