import { QueryClient, QueryObserver } from '@tanstack/react-query';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ExportShard } from '@/lib/exports/types';
import { exportManifestQueryOptions, refetchManifestInFull, type ExportManifest } from './export-manifest-query';
import { queryKeys } from './keys';

afterEach(() => vi.unstubAllGlobals());

const ID = '00000000-0000-4000-8000-000000000001';
const job = (updated_at: string) => ({ id: ID, updated_at });
const shard = (no: number) => ({ shard_no: no, lane: 1, lane_seq: no }) as ExportShard;
const whole = (cursor: string, shards: number[]) => ({
  job: job('2026-12-01T10:00:00Z'),
  cursor,
  shards: shards.map(shard),
  attempts: [],
  invocations: [],
  failures: [],
  events: [],
  members: [],
  verification: null,
});
const changed = (since: string, cursor: string, shards: number[]) => ({
  job: job('2026-12-01T10:00:01Z'),
  since,
  cursor,
  shards: shards.map(shard),
  attempts: [],
  invocations: [],
  failures: [],
  events: [],
});

/** The shards route as the page sees it: answers by URL, and what it was asked. */
function serve(answers: Record<string, () => Response>) {
  const asked: string[] = [];
  vi.stubGlobal('fetch', async (url: string) => {
    asked.push(url);
    const answer = answers[url];
    if (!answer) throw new Error(`unexpected request ${url}`);
    return answer();
  });
  return asked;
}

/** A page showing the manifest (an active query, as `useQuery` makes it), once its first read is in. */
async function openPage(client: QueryClient) {
  const observer = new QueryObserver(client, exportManifestQueryOptions(ID));
  const unsubscribe = observer.subscribe(() => {});
  await vi.waitFor(() => expect(observer.getCurrentResult().isFetched).toBe(true));
  return unsubscribe;
}

describe('the export page reading its manifest', () => {
  // What the page does when the live job row moves.
  const read = async (client: QueryClient) => {
    await client.invalidateQueries({ queryKey: queryKeys.exports.manifest(ID) });
    return client.getQueryData<ExportManifest>(queryKeys.exports.manifest(ID))!;
  };

  it('reads the whole manifest first, then only what changed since its cursor, merged into the cache', async () => {
    const base = `/api/exports/${ID}/shards`;
    const asked = serve({
      [base]: () => Response.json(whole('10', [1, 2])),
      [`${base}?since=10`]: () => Response.json(changed('10', '15', [3])),
      [`${base}?since=15`]: () => Response.json(changed('15', '15', [])),
    });
    const client = new QueryClient();
    await openPage(client);
    expect((await read(client)).shards.map((s) => s.shard_no)).toEqual([1, 2, 3]);
    const settled = await read(client);
    expect(settled.shards.map((s) => s.shard_no)).toEqual([1, 2, 3]);
    expect(settled.cursor).toBe('15');
    expect(asked).toEqual([base, `${base}?since=10`, `${base}?since=15`]);
  });

  it('reads it whole again when asked to (a silence, a rejoin), keeping what it shows meanwhile', async () => {
    const base = `/api/exports/${ID}/shards`;
    let wholeReads = 0;
    const asked = serve({
      [base]: () => Response.json(whole(String(10 + 10 * wholeReads++), wholeReads === 1 ? [1] : [1, 2, 3])),
      [`${base}?since=10`]: () => Response.json(changed('10', '12', [2])),
    });
    const client = new QueryClient();
    await openPage(client);
    await read(client);
    const refetched = refetchManifestInFull(client, ID);
    // What the page shows stays while the whole read runs.
    expect(client.getQueryData<ExportManifest>(queryKeys.exports.manifest(ID))!.shards).toHaveLength(2);
    await refetched;
    const fresh = client.getQueryData<ExportManifest>(queryKeys.exports.manifest(ID))!;
    expect(fresh.shards.map((s) => s.shard_no)).toEqual([1, 2, 3]);
    expect(fresh.cursor).toBe('20');
    expect(asked).toEqual([base, `${base}?since=10`, base]);
  });

  it('starts again with a whole read when the server refuses its cursor', async () => {
    const base = `/api/exports/${ID}/shards`;
    let wholeReads = 0;
    const asked = serve({
      [base]: () => Response.json(whole(wholeReads++ === 0 ? '999' : '50', [1, 2])),
      [`${base}?since=999`]: () =>
        Response.json(
          { error: { code: 'unprocessable', message: "since (999) is ahead of this database's changes (50)" } },
          { status: 422 },
        ),
    });
    const client = new QueryClient();
    await openPage(client);
    expect((await read(client)).cursor).toBe('50');
    expect(asked).toEqual([base, `${base}?since=999`, base]);
  });

  it('keeps the cache and reports the error when a read of the changes fails otherwise', async () => {
    const base = `/api/exports/${ID}/shards`;
    serve({
      [base]: () => Response.json(whole('10', [1])),
      [`${base}?since=10`]: () => Response.json({ error: { code: 'internal', message: 'no' } }, { status: 500 }),
    });
    const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
    await openPage(client);
    await client.invalidateQueries({ queryKey: queryKeys.exports.manifest(ID) });
    const state = client.getQueryState(queryKeys.exports.manifest(ID))!;
    expect(state.status).toBe('error');
    expect((state.data as ExportManifest).cursor).toBe('10');
  });
});
