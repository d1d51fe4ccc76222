import { createReadStream } from 'node:fs';
import path from 'node:path';
import { syntheticExport } from '../download/synthetic-export';
import { spawnTs } from '../lib/child';
import { mbps, mib, ms, num, seconds, type Table } from '../lib/format';
import { sampleRss } from '../lib/proc';
import type { BenchContext, Scenario } from '../lib/scenario';
import { setLatency, type BenchStack } from '../lib/stack';
import { chunksOf } from '../lib/streams';
import { max, median } from '../lib/stats';
import { EXPORTS_BUCKET } from '../../supabase/functions/_shared/shard-key.ts';

/**
 * Scenario 4 — the download: downloadExport (the route's domain function) in a child process serving
 * HTTP, fetched by this process; its RSS sampled over the whole transfer, time to first byte, MB/s —
 * against reading the same shard files straight from the devstack's storage directory (the disk bound)
 * and fetching the same objects one by one with supabase-js (the storage API bound).
 */

type ShardFile = { storageKey: string; file: string; skip: number };

async function shardFiles(stack: BenchStack, jobId: string): Promise<ShardFile[]> {
  const { rows } = await stack.db.query<{ storage_key: string; version: string; skip: number }>(
    `select s.storage_key, o.version, case when s.shard_no = 1 then 0 else s.header_bytes end as skip
     from public.export_shards s join storage.objects o on o.bucket_id = $2 and o.name = s.storage_key
     where s.job_id = $1 order by s.shard_no`,
    [jobId, EXPORTS_BUCKET],
  );
  // The devstack keeps object bytes at <data dir>/storage/objects/<2 hex>/<version> (devstack/storage/files.ts).
  return rows.map((r) => ({
    storageKey: r.storage_key,
    file: path.join(stack.dataDir, 'storage', 'objects', r.version.slice(0, 2), r.version),
    skip: r.skip,
  }));
}

async function readFilesDirectly(files: ShardFile[]): Promise<{ ms: number; bytes: number }> {
  const started = performance.now();
  let bytes = 0;
  for (const f of files) {
    for await (const chunk of createReadStream(f.file, { start: f.skip, highWaterMark: 256 * 1024 }))
      bytes += (chunk as Buffer).length;
  }
  return { ms: performance.now() - started, bytes };
}

async function fetchObjects(stack: BenchStack, files: ShardFile[]): Promise<{ ms: number; bytes: number }> {
  const bucket = stack.admin.storage.from(EXPORTS_BUCKET);
  const started = performance.now();
  let bytes = 0;
  for (const f of files) {
    const { data, error } = await bucket.download(f.storageKey).asStream();
    if (error) throw new Error(`download ${f.storageKey}: ${error.message}`);
    for await (const chunk of chunksOf(data as ReadableStream<Uint8Array>)) bytes += chunk.length;
  }
  return { ms: performance.now() - started, bytes };
}

type ServedDownload = {
  ms: number;
  bytes: number;
  headersMs: number;
  firstByteMs: number;
  baselineRssBytes: number;
  peakRssBytes: number;
  /** RSS at 0, 10, … 100 % of the bytes received. */
  rssByProgress: Array<{ percent: number; rssBytes: number }>;
};

async function downloadThroughServer(stack: BenchStack, jobId: string): Promise<ServedDownload> {
  let resolvePort: (port: number) => void = () => {};
  const portReady = new Promise<number>((resolve) => (resolvePort = resolve));
  const server = spawnTs('bench/download/server.ts', {
    env: {
      API_URL: stack.apiUrl,
      ANON_KEY: stack.anonKey,
      SERVICE_ROLE_KEY: stack.serviceRoleKey,
      ACCESS_TOKEN: stack.user.accessToken,
    },
    onLine: (line) => {
      const port = (JSON.parse(line) as { port?: number }).port;
      if (port) resolvePort(port);
    },
  });
  try {
    const port = await Promise.race([
      portReady,
      server.exited.then((e) => Promise.reject(new Error(`server exited: ${e.stderrTail.join('\n')}`))),
    ]);
    // Idle RSS after start-up and one warm-up request (imports, clients, first connections), so the
    // growth measured is the transfer's.
    await (
      await fetch(`http://127.0.0.1:${port}/download/${jobId}`, { method: 'GET', headers: { Range: 'bytes=0-0' } })
    ).arrayBuffer();
    const rss = sampleRss(server.child.pid ?? -1, 100);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const baselineRssBytes = median(rss.samples.map((s) => s.rssBytes));

    const progress: Array<{ t: number; bytes: number }> = [];
    const started = performance.now();
    const response = await fetch(`http://127.0.0.1:${port}/download/${jobId}`);
    const headersMs = performance.now() - started;
    if (!response.ok || !response.body) throw new Error(`download answered ${response.status}`);
    const expected = Number(response.headers.get('content-length'));
    let firstByteMs = Number.NaN;
    let bytes = 0;
    for await (const chunk of chunksOf(response.body)) {
      if (bytes === 0) firstByteMs = performance.now() - started;
      bytes += chunk.length;
      progress.push({ t: Date.now(), bytes });
    }
    const elapsed = performance.now() - started;
    const samples = await rss.stop();
    if (bytes !== expected) throw new Error(`download: ${bytes} bytes of ${expected}`);

    const during = samples.filter((s) => s.t >= (progress[0]?.t ?? 0));
    const rssByProgress = Array.from({ length: 11 }, (_, k) => {
      const target = (bytes * k) / 10;
      const reached = progress.find((p) => p.bytes >= target)?.t ?? Date.now();
      const sample = during.find((s) => s.t >= reached) ?? during.at(-1);
      return { percent: k * 10, rssBytes: sample?.rssBytes ?? Number.NaN };
    });
    return {
      ms: elapsed,
      bytes,
      headersMs,
      firstByteMs,
      baselineRssBytes,
      peakRssBytes: max(during.map((s) => s.rssBytes)),
      rssByProgress,
    };
  } finally {
    server.child.kill('SIGTERM');
    await server.exited;
  }
}

export const download: Scenario = {
  name: 'download',
  title: '4. Download',
  recordsNeeded: () => 0,
  run: async (ctx: BenchContext) => {
    const { stack, options } = ctx;
    ctx.log(`download: building a ${options.downloadMiB} MiB synthetic export …`);
    const synthetic = await syntheticExport(stack, options.downloadMiB);
    const files = await shardFiles(stack, synthetic.jobId);
    const direct = await readFilesDirectly(files);
    const speed: Table['rows'] = [
      ['—', 'shard files read directly (disk bound)', seconds(direct.ms), mbps(direct.bytes, direct.ms), '—', '—', '—'],
    ];
    const memory: Table['rows'] = [];
    const data = [];
    for (const latencyMs of options.latencies) {
      const label = latencyMs === 0 ? 'as is' : `+${latencyMs} ms/request`;
      await setLatency(stack, latencyMs);
      try {
        ctx.log(`download at ${latencyMs} ms latency: storage GETs …`);
        const objects = await fetchObjects(stack, files);
        ctx.log(`download at ${latencyMs} ms latency: through downloadExport …`);
        const served = await downloadThroughServer(stack, synthetic.jobId);
        speed.push(
          [
            label,
            'objects fetched one by one (supabase-js)',
            seconds(objects.ms),
            mbps(objects.bytes, objects.ms),
            '—',
            '—',
            '—',
          ],
          [
            label,
            'downloadExport in a server process',
            seconds(served.ms),
            mbps(served.bytes, served.ms),
            ms(served.firstByteMs),
            mib(served.baselineRssBytes),
            `${mib(served.peakRssBytes)} (${served.peakRssBytes >= served.baselineRssBytes ? '+' : '−'}${mib(Math.abs(served.peakRssBytes - served.baselineRssBytes))})`,
          ],
        );
        memory.push([label, ...served.rssByProgress.filter((_, i) => i % 2 === 0).map((p) => mib(p.rssBytes, 0))]);
        data.push({ latencyMs, objects, served });
      } finally {
        await setLatency(stack, 0);
      }
    }
    return {
      tables: [
        {
          title: `${download.title} (synthetic completed CSV export: ${num(files.length)} shards of ~1 MiB, ${mib(synthetic.bytes)} file)`,
          columns: [
            'latency',
            'path',
            'time',
            'throughput',
            'time to first byte',
            'server RSS idle',
            'server RSS peak',
          ],
          rows: speed,
          notes: [
            "downloadExport: the route's domain function (RLS checks, manifest, sha256-verified pull stream) in a Node child process serving HTTP, read by this process.",
            'Direct read: the same object files from the devstack storage directory, header skipped (page cache warm) — no network, no checks.',
            'Server RSS: VmRSS of the server process from /proc every 100 ms; idle = after start-up and a warm-up request.',
          ],
        },
        {
          title: 'Download server RSS over the transfer (share of the file received)',
          columns: ['latency', '0%', '20%', '40%', '60%', '80%', '100%'],
          rows: memory,
        },
      ],
      data: { shards: files.length, fileBytes: synthetic.bytes, direct, runs: data },
    };
  },
};
