import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { resolveDenoBinary } from '../../devstack/functions/deno-binary';

export type MachineInfo = {
  cpu: string;
  cores: number;
  ramGiB: number;
  os: string;
  node: string;
  deno: string;
  /** 1-minute load average when the scenario started: other work on the machine skews timings. */
  loadAverage: number;
};

export function machineInfo(): MachineInfo {
  let deno = 'unknown';
  try {
    deno = /deno (\S+)/.exec(execFileSync(resolveDenoBinary(), ['--version'], { encoding: 'utf8' }))?.[1] ?? deno;
  } catch {
    // Reported as unknown: the table is still useful without it.
  }
  return {
    cpu: os.cpus()[0]?.model.trim() ?? 'unknown',
    cores: os.availableParallelism(),
    ramGiB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    deno,
    loadAverage: Math.round((os.loadavg()[0] ?? 0) * 100) / 100,
  };
}

export function describeMachine(m: MachineInfo): string {
  return `${m.cpu}, ${m.cores} cores, ${m.ramGiB} GiB RAM, ${m.os}; Node ${m.node}, Deno ${m.deno}`;
}
