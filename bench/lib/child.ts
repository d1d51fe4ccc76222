import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { projectRoot } from '../../devstack/stack';

/**
 * A TypeScript file of bench/ run in its own Node process (through tsx's loader), so its memory is
 * measured alone and can be capped with V8 flags.
 */
export function spawnTs(
  file: string,
  options: { nodeArgs?: string[]; env?: Record<string, string>; onLine?: (line: string) => void },
): {
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderrTail: string[] }>;
} {
  const child = spawn(
    process.execPath,
    [...(options.nodeArgs ?? []), '--import', 'tsx', path.join(projectRoot, file)],
    {
      cwd: projectRoot,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const stderrTail: string[] = [];
  createInterface({ input: child.stdout! }).on('line', (line) => options.onLine?.(line));
  createInterface({ input: child.stderr! }).on('line', (line) => {
    stderrTail.push(line);
    if (stderrTail.length > 30) stderrTail.shift();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderrTail: string[] }>((resolve) =>
    child.once('close', (code, signal) => resolve({ code, signal, stderrTail })),
  );
  return { child, exited };
}
