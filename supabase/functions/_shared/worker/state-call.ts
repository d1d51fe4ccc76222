import type { z } from 'zod';
import { ExportError } from '../export-error.ts';
import { parseRpcResult } from '../worker-rpc-results.ts';
import type { WorkerPorts } from './ports.ts';

/** A state-machine call whose answer is checked against its schema (worker-rpc-results.ts). */
export async function callState<S extends z.ZodType>(
  ports: Pick<WorkerPorts, 'rpc'>,
  fn: string,
  args: Record<string, unknown>,
  schema: S,
): Promise<z.infer<S>> {
  const answer = await ports.rpc<unknown>(fn, args);
  try {
    return parseRpcResult(fn, schema, answer);
  } catch (error) {
    throw new ExportError('database_failed', error instanceof Error ? error.message : String(error), true);
  }
}

/** A key as the database takes it: decimal digits (JSON numbers cannot carry int64s beyond 2^53). */
export const keyArg = (key: bigint | null) => (key === null ? null : key.toString());
