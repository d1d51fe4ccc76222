import { readdir, readFile, readlink } from 'node:fs/promises';
import { readMainThreadCpuMs } from '../../devstack/functions/process-stats';

/**
 * Linux /proc readings of other processes: the worker's Deno processes and the download "server".
 * RSS is read from outside rather than reported by the worker because the worker can only see its
 * V8 heap (it records `peak_heap_bytes`); what the platform's 256 MB limit counts is the whole process.
 */

export type ProcMemory = { rssBytes: number; peakRssBytes: number };

/** VmRSS and VmHWM (the kernel's own high-water mark of RSS, so short peaks between samples still count). */
async function readProcMemory(pid: number): Promise<ProcMemory | null> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) =>
      Number(new RegExp(`^${field}:\\s+(\\d+)\\s+kB$`, 'm').exec(status)?.[1] ?? Number.NaN) * 1024;
    return { rssBytes: kb('VmRSS'), peakRssBytes: kb('VmHWM') };
  } catch {
    return null;
  }
}

/** Direct children of `pid` (the devstack runs in this process, so every Deno invocation is one). */
async function childrenOf(pid: number): Promise<number[]> {
  try {
    const tasks = await readdir(`/proc/${pid}/task`);
    const lists = await Promise.all(
      tasks.map((tid) => readFile(`/proc/${pid}/task/${tid}/children`, 'utf8').catch(() => '')),
    );
    return lists.flatMap((list) => list.split(' ').filter(Boolean).map(Number));
  } catch {
    return [];
  }
}

async function cmdline(pid: number): Promise<string> {
  return (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).replaceAll('\0', ' ');
}

/** Whether `pid` runs this Node binary (a child not yet exec'd, or one of bench's own Node children). */
async function stillNode(pid: number): Promise<boolean> {
  return (await readlink(`/proc/${pid}/exe`).catch(() => '')) === process.execPath;
}

export type WorkerProcess = {
  pid: number;
  firstSeenAt: number;
  lastSeenAt: number;
  peakRssBytes: number;
  /** CPU of the isolate's thread (what the hosted 2 s limit counts), including boot. */
  mainThreadCpuMs: number;
};

/**
 * Polls this process's children every `intervalMs` for Deno processes running `functionName`, keeping each
 * one's RSS high-water mark and main-thread CPU. A process's last ≤ interval before exit is not seen: it
 * is then releasing its lease, not holding a page, so the peak is not there.
 */
export function sampleWorkerProcesses(functionName: string, intervalMs = 100) {
  const seen = new Map<number, WorkerProcess>();
  const ignored = new Set<number>();
  let stopped = false;
  const tick = async () => {
    for (const pid of await childrenOf(process.pid)) {
      if (ignored.has(pid)) continue;
      if (!seen.has(pid)) {
        const command = await cmdline(pid);
        if (!command.includes(`${functionName}/index.ts`)) {
          // Between fork and exec a new child still shows our own command line: look again next time.
          if (!(await stillNode(pid))) ignored.add(pid);
          continue;
        }
        seen.set(pid, { pid, firstSeenAt: Date.now(), lastSeenAt: Date.now(), peakRssBytes: 0, mainThreadCpuMs: 0 });
      }
      const entry = seen.get(pid);
      const [memory, cpu] = await Promise.all([readProcMemory(pid), readMainThreadCpuMs(pid)]);
      // A zombie (exited, not yet reaped) still has a status file, without memory lines.
      if (!entry || !memory || !Number.isFinite(memory.peakRssBytes)) continue;
      entry.lastSeenAt = Date.now();
      entry.peakRssBytes = Math.max(entry.peakRssBytes, memory.peakRssBytes);
      if (cpu !== null) entry.mainThreadCpuMs = cpu;
    }
  };
  const loop = (async () => {
    while (!stopped) {
      await tick();
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  })();
  return {
    stop: async (): Promise<WorkerProcess[]> => {
      stopped = true;
      await loop;
      return [...seen.values()];
    },
  };
}

/** RSS of one process over time (the download server), sampled every `intervalMs`. */
export function sampleRss(pid: number, intervalMs = 100) {
  const samples: Array<{ t: number; rssBytes: number }> = [];
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const memory = await readProcMemory(pid);
      if (memory && Number.isFinite(memory.rssBytes)) samples.push({ t: Date.now(), rssBytes: memory.rssBytes });
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  })();
  return {
    samples,
    stop: async () => {
      stopped = true;
      await loop;
      return samples;
    },
  };
}

/** The machine's CPU time so far (all cores), from /proc/stat: busy and total, in clock ticks. */
export async function readMachineCpu(): Promise<{ busy: number; total: number } | null> {
  try {
    const line = (await readFile('/proc/stat', 'utf8')).split('\n')[0] ?? '';
    // cpu  user nice system idle iowait irq softirq steal …
    const ticks = line.trim().split(/\s+/).slice(1).map(Number);
    const total = ticks.reduce((a, b) => a + b, 0);
    const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0);
    return { busy: total - idle, total };
  } catch {
    return null;
  }
}

/** Share of the machine's CPU (all cores, every process: ours and anyone else's) busy between two readings. */
export function busyShare(
  from: { busy: number; total: number } | null,
  to: { busy: number; total: number } | null,
): number {
  if (!from || !to || to.total <= from.total) return Number.NaN;
  return (to.busy - from.busy) / (to.total - from.total);
}
