import { readFile } from 'node:fs/promises';

/** Linux reports CPU time in USER_HZ ticks, 100 per second on every mainstream architecture. */
const MS_PER_TICK = 10;

/**
 * CPU time (user + system, every thread) a process has used, in ms, from `/proc/<pid>/stat`: what the
 * download server spends per GiB, which unlike its wall time does not depend on how busy the machine is.
 */
export async function processCpuMs(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // Fields after "(comm)", which may itself contain spaces: utime is field 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * MS_PER_TICK;
}
