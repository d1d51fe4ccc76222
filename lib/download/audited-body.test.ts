import { describe, expect, it, vi } from 'vitest';
import { auditedBody } from './audited-body';

const chunks = (...sizes: number[]) =>
  new ReadableStream<Uint8Array>({
    start(controller) {
      for (const size of sizes) controller.enqueue(new Uint8Array(size));
      controller.close();
    },
  });

describe('auditedBody', () => {
  it('reports every byte and a completed end once the body is read to its end', async () => {
    const onEnd = vi.fn();
    const bytes = await new Response(auditedBody(chunks(3, 4), onEnd)).arrayBuffer();
    expect(bytes.byteLength).toBe(7);
    expect(onEnd).toHaveBeenCalledExactlyOnceWith({ bytes: 7, outcome: 'completed' });
  });

  it('reports a cut with the bytes pulled so far when the consumer cancels', async () => {
    const onEnd = vi.fn();
    const reader = auditedBody(chunks(3, 4, 5), onEnd).getReader();
    await reader.read();
    await reader.cancel();
    expect(onEnd).toHaveBeenCalledExactlyOnceWith({ bytes: 3, outcome: 'cut' });
  });

  it('reports a cut when the body errors part-way', async () => {
    const onEnd = vi.fn();
    let sent = false;
    const failing = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent) controller.error(new Error('shard 2 failed verification'));
        else controller.enqueue(new Uint8Array(6));
        sent = true;
      },
    });
    await expect(new Response(auditedBody(failing, onEnd)).arrayBuffer()).rejects.toThrow();
    expect(onEnd).toHaveBeenCalledExactlyOnceWith({ bytes: 6, outcome: 'cut' });
  });
});
