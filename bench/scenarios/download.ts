import { createReadStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fetchObjects } from '../download/fetch-objects';
import { processCpuMs } from '../download/process-cpu';
import { syntheticExport } from '../download/synthetic-export';
import { spawnTs } from '../lib/child';
import { runExport } from '../lib/export-run';
import { DEFAULT_READ_AHEAD } from '../../lib/download/shard-read-ahead';
import { mbps, mib, ms, num, ratio, seconds, type Table } from '../lib/format';
import { sampleRss } from '../lib/proc';
import type { BenchContext, Scenario } from '../lib/scenario';
import { setLatency, type BenchStack } from '../lib/stack';
import { chunksOf } from '../lib/streams';
import { max, median } from '../lib/stats';
import { EXPORTS_BUCKET } from '../../supabase/functions/_shared/shard-key.ts';

/**
 * Scenario 7 — the download: downloadExport (the route's domain function) in a child process serving
 * HTTP, fetched by this process; its RSS sampled over the whole transfer, time to first byte, MB/s —
 * against reading the same shard files straight from the devstack's storage directory (the disk bound)
 * and fetching the same objects with supabase-js (the storage API bound), one by one and as many at a
 * time as the download reads ahead.
 *
 * Named figures (for bench/results/summary.json): download_vs_raw and
 * download_vs_raw_20ms (download MB/s ÷ objects fetched one by one, as issue 10 defines "raw"),
 * download_vs_raw_parallel(_20ms) (÷ objects fetched with the download's read-ahead concurrency, the
 * stricter bound), download_rss_growth_mib (largest server RSS peak − idle of the runs),
 * download_fetch_only_rss_growth_mib (the same for a process that only fetches the objects: the control),
 * download_ttfb_ms (time to first byte, as is) and download_ttfb_20ms_ms.
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

/** Idle RSS of a child process: its median over this long, after its start-up and a warm-up request. */
const IDLE_SAMPLE_MS = 1000;

/** A child process's RSS while idle (median) and at its peak during the transfer. */
type RssRange = { baselineRssBytes: number; peakRssBytes: number };
const rssGrowth = (r: RssRange) => r.peakRssBytes - r.baselineRssBytes;

type FetchOnly = RssRange & { ms: number; bytes: number };

/**
 * The memory control: the objects listed in `keysFile` fetched `concurrency` at a time and dropped, in a
 * Node process of their own (bench/download/fetch-only.ts), its RSS sampled as the download server's is. What Node's
 * fetch of these bytes costs by itself, whoever serves them.
 */
async function fetchInOwnProcess(stack: BenchStack, keysFile: string, concurrency: number): Promise<FetchOnly> {
  let rss: ReturnType<typeof sampleRss> | undefined;
  let resolveResult: (r: { ms: number; bytes: number }) => void = () => {};
  const result = new Promise<{ ms: number; bytes: number }>((resolve) => (resolveResult = resolve));
  const child = spawnTs('bench/download/fetch-only.ts', {
    env: {
      API_URL: stack.apiUrl,
      SERVICE_ROLE_KEY: stack.serviceRoleKey,
      KEYS_FILE: keysFile,
      CONCURRENCY: String(concurrency),
      IDLE_MS: String(IDLE_SAMPLE_MS),
    },
    onLine: (line) => {
      const message = JSON.parse(line) as { ready?: boolean; ms?: number; bytes?: number };
      if (message.ready) rss = sampleRss(child.child.pid ?? -1, 100);
      else if (message.ms !== undefined && message.bytes !== undefined)
        resolveResult({ ms: message.ms, bytes: message.bytes });
    },
  });
  const fetched = await Promise.race([
    result,
    child.exited.then((e) => Promise.reject(new Error(`fetch-only exited: ${e.stderrTail.join('\n')}`))),
  ]);
  const samples = (await rss?.stop()) ?? [];
  await child.exited;
  const start = samples[0]?.t ?? 0;
  const idle = samples.filter((s) => s.t < start + IDLE_SAMPLE_MS);
  return {
    ...fetched,
    baselineRssBytes: median(idle.map((s) => s.rssBytes)),
    peakRssBytes: max(samples.map((s) => s.rssBytes)),
  };
}

type ServedDownload = RssRange & {
  ms: number;
  bytes: number;
  headersMs: number;
  firstByteMs: number;
  /** CPU the server process used for the transfer (user + system, all threads). */
  serverCpuMs: number;
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
    await new Promise((resolve) => setTimeout(resolve, IDLE_SAMPLE_MS));
    const baselineRssBytes = median(rss.samples.map((s) => s.rssBytes));

    const progress: Array<{ t: number; bytes: number }> = [];
    const cpuBefore = await processCpuMs(server.child.pid ?? -1);
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
    const serverCpuMs = (await processCpuMs(server.child.pid ?? -1)) - cpuBefore;
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
      serverCpuMs,
      rssByProgress,
    };
  } finally {
    server.child.kill('SIGTERM');
    await server.exited;
  }
}

/** Downloads run at once beside an export, and how much of the file each asks for (a range of its start). */
const CONCURRENT_DOWNLOADS = 20;
const CONCURRENT_RANGE_BYTES = 48 * 1024 * 1024;

/**
 * Twenty downloads at once through one server process while an export starts and runs beside them (the
 * set-up that once cut 3 of 20 mid-file with no trace): how many ended short of their Content-Length.
 * A read storage fails is retried within the read-ahead (lib/download/retry-storage-reads.ts); a response
 * that is cut anyway is logged by the server with its cause.
 */
async function concurrentDownloads(
  stack: BenchStack,
  jobId: string,
  log: (message: string) => void,
): Promise<{ cut: number; total: number; ms: number }> {
  let resolvePort!: (port: number) => void;
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
    const port = await portReady;
    const started = performance.now();
    const beside = runExport(stack, { records: 20_000, latencyMs: 0, lanes: 4 }, log);
    const outcomes = await Promise.all(
      Array.from({ length: CONCURRENT_DOWNLOADS }, async () => {
        try {
          const response = await fetch(`http://127.0.0.1:${port}/download/${jobId}`, {
            headers: { Range: `bytes=0-${CONCURRENT_RANGE_BYTES - 1}` },
          });
          const expected = Number(response.headers.get('content-length'));
          let bytes = 0;
          if (response.body) for await (const chunk of chunksOf(response.body)) bytes += chunk.length;
          return bytes === expected;
        } catch {
          return false;
        }
      }),
    );
    const ms = performance.now() - started;
    await beside;
    return { cut: outcomes.filter((complete) => !complete).length, total: outcomes.length, ms };
  } finally {
    server.child.kill('SIGTERM');
    await server.exited;
  }
}

export const download: Scenario = {
  name: 'download',
  title: '7. Download',
  recordsNeeded: () => 0,
  run: async (ctx: BenchContext) => {
    const { stack, options } = ctx;
    ctx.log(`download: building a ${options.downloadMiB} MiB synthetic export …`);
    const synthetic = await syntheticExport(stack, options.downloadMiB);
    const files = await shardFiles(stack, synthetic.jobId);
    const direct = await readFilesDirectly(files);
    const parallel = DEFAULT_READ_AHEAD.shards;
    // A bound's row: time and throughput, no download columns.
    const boundRow = (label: string, path: string, r: { ms: number; bytes: number }) => [
      label,
      path,
      seconds(r.ms),
      mbps(r.bytes, r.ms),
      ...Array<string>(5).fill('—'),
    ];
    const speed: Table['rows'] = [boundRow('—', 'shard files read directly (disk bound)', direct)];
    const memory: Table['rows'] = [];
    const runs: Array<{
      latencyMs: number;
      oneByOne: { ms: number; bytes: number };
      concurrent: { ms: number; bytes: number };
      fetchOnly: FetchOnly;
      served: ServedDownload;
      vsRaw: number;
      vsParallel: number;
    }> = [];
    const growthText = (r: RssRange) => {
      const growth = rssGrowth(r);
      return `${mib(r.peakRssBytes)} (${growth >= 0 ? '+' : '−'}${mib(Math.abs(growth))})`;
    };
    const keys = files.map((f) => f.storageKey);
    const keysFile = path.join(stack.dataDir, 'download-keys.json');
    await writeFile(keysFile, JSON.stringify(keys));
    for (const latencyMs of options.latencies) {
      const label = latencyMs === 0 ? 'as is' : `+${latencyMs} ms/request`;
      await setLatency(stack, latencyMs);
      try {
        ctx.log(`download at ${latencyMs} ms latency: storage GETs one by one …`);
        const oneByOne = await fetchObjects(stack.admin, keys, 1);
        ctx.log(`download at ${latencyMs} ms latency: storage GETs ${parallel} at a time …`);
        const concurrent = await fetchObjects(stack.admin, keys, parallel);
        ctx.log(`download at ${latencyMs} ms latency: storage GETs ${parallel} at a time in a process of their own …`);
        const fetchOnly = await fetchInOwnProcess(stack, keysFile, parallel);
        ctx.log(`download at ${latencyMs} ms latency: through downloadExport …`);
        const served = await downloadThroughServer(stack, synthetic.jobId);
        const rate = (r: { bytes: number; ms: number }) => r.bytes / r.ms;
        const vsRaw = rate(served) / rate(oneByOne);
        const vsParallel = rate(served) / rate(concurrent);
        speed.push(
          boundRow(label, 'objects fetched one by one (supabase-js)', oneByOne),
          boundRow(label, `objects fetched ${parallel} at a time (supabase-js)`, concurrent),
          [
            label,
            `objects fetched ${parallel} at a time, own process (memory control)`,
            seconds(fetchOnly.ms),
            mbps(fetchOnly.bytes, fetchOnly.ms),
            '—',
            '—',
            '—',
            mib(fetchOnly.baselineRssBytes),
            growthText(fetchOnly),
          ],
          [
            label,
            'downloadExport in a server process',
            seconds(served.ms),
            mbps(served.bytes, served.ms),
            `${ratio(vsRaw)} / ${ratio(vsParallel)}`,
            ms(served.firstByteMs),
            seconds(served.serverCpuMs / (served.bytes / 2 ** 30)),
            mib(served.baselineRssBytes),
            growthText(served),
          ],
        );
        memory.push([label, ...served.rssByProgress.filter((_, i) => i % 2 === 0).map((p) => mib(p.rssBytes, 0))]);
        runs.push({ latencyMs, oneByOne, concurrent, fetchOnly, served, vsRaw, vsParallel });
      } finally {
        await setLatency(stack, 0);
      }
    }
    ctx.log(`download: ${CONCURRENT_DOWNLOADS} downloads at once beside an export …`);
    const crowd = await concurrentDownloads(stack, synthetic.jobId, ctx.log);
    const at = (latencyMs: number) => runs.find((r) => r.latencyMs === latencyMs);
    const round = (value: number | undefined, digits: number) =>
      value === undefined ? Number.NaN : Number(value.toFixed(digits));
    const figures = {
      download_cuts_20_concurrent: crowd.cut,
      download_vs_raw: round(at(0)?.vsRaw, 2),
      download_vs_raw_20ms: round(at(20)?.vsRaw, 2),
      download_vs_raw_parallel: round(at(0)?.vsParallel, 2),
      download_vs_raw_parallel_20ms: round(at(20)?.vsParallel, 2),
      download_rss_growth_mib: round(Math.max(...runs.map((r) => rssGrowth(r.served))) / (1024 * 1024), 1),
      download_fetch_only_rss_growth_mib: round(
        Math.max(...runs.map((r) => rssGrowth(r.fetchOnly))) / (1024 * 1024),
        1,
      ),
      download_ttfb_ms: round(at(0)?.served.firstByteMs, 0),
      download_ttfb_20ms_ms: round(at(20)?.served.firstByteMs, 0),
    };
    return {
      tables: [
        {
          title: `${download.title} (synthetic completed CSV export: ${num(files.length)} shards of ~1 MiB, ${mib(synthetic.bytes)} file)`,
          columns: [
            'latency',
            'path',
            'time',
            'throughput',
            '÷ raw (1 / ' + parallel + ' at a time)',
            'time to first byte',
            'server CPU / GiB',
            'server RSS idle',
            'server RSS peak',
          ],
          rows: speed,
          notes: [
            "downloadExport: the route's domain function (RLS checks, manifest, every shard verified whole before it is sent, reading ahead " +
              `${DEFAULT_READ_AHEAD.shards} shards / ${mib(DEFAULT_READ_AHEAD.bytes, 0)}) in a Node child process serving HTTP, read by this process.`,
            `÷ raw: download MB/s over the same objects fetched one by one / ${parallel} at a time (the download's read-ahead) in the same run.`,
            'Direct read: the same object files from the devstack storage directory, header skipped (page cache warm) — no network, no checks.',
            'Server RSS: VmRSS of the server process from /proc every 100 ms; idle = after start-up and a warm-up request.',
            'Server CPU: user + system time of the server process (every thread) during the transfer, per GiB sent: unlike MB/s, it hardly depends on how busy the machine is.',
          ],
        },
        {
          title: 'Download server RSS over the transfer (share of the file received)',
          columns: ['latency', '0%', '20%', '40%', '60%', '80%', '100%'],
          rows: memory,
        },
        {
          title: `${num(CONCURRENT_DOWNLOADS)} downloads at once (the first ${mib(CONCURRENT_RANGE_BYTES, 0)} each) beside a 20,000-record, 4-lane export`,
          columns: ['downloads', 'cut short', 'time'],
          rows: [[num(crowd.total), num(crowd.cut), seconds(crowd.ms)]],
          notes: [
            'cut short: fewer bytes than Content-Length. A storage read that fails is tried again within the read-ahead; a cut is logged by the server with its cause.',
          ],
        },
      ],
      data: { shards: files.length, fileBytes: synthetic.bytes, direct, runs, crowd },
      figures,
    };
  },
};
