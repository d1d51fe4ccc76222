import { readFile } from 'node:fs/promises';

/**
 * Resident set size of a process in bytes, from `/proc/<pid>/status` (Linux; `VmRSS` is in kB).
 * Returns null when the process is gone or /proc is unavailable (then the memory watchdog is off and
 * only V8's `--max-old-space-size` caps the function).
 */
export async function readRssBytes(pid: number): Promise<number | null> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** Linux reports CPU time in USER_HZ ticks, 100 per second on every mainstream architecture. */
const MS_PER_TICK = 10;

/**
 * CPU time (user + system) of a process's main thread in ms, from `/proc/<pid>/task/<pid>/stat`.
 * The main thread is where the isolate runs JavaScript; the hosted CPU limit counts the isolate, not
 * Deno's helper threads (GC, compile, I/O), so the whole-process figure would overstate it.
 * Null when the process is gone or /proc is unavailable.
 */
export async function readMainThreadCpuMs(pid: number): Promise<number | null> {
  try {
    const stat = await readFile(`/proc/${pid}/task/${pid}/stat`, 'utf8');
    // Fields after "(comm)", which may itself contain spaces: state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return Number.isFinite(utime) && Number.isFinite(stime) ? (utime + stime) * MS_PER_TICK : null;
  } catch {
    return null;
  }
}
