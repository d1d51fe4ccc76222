import type { z } from 'zod';
import { ExportError } from '../export-error.ts';
import type { RpcArgs, RpcName } from '../worker-rpc-args.ts';
import { parseRpcResult } from '../worker-rpc-results.ts';
import type { WorkerPorts } from './ports.ts';

/** A state-machine call, typed by its name (worker-rpc-args.ts), its answer checked against its schema. */
export async function callState<F extends RpcName, S extends z.ZodType>(
  ports: Pick<WorkerPorts, 'rpc'>,
  fn: F,
  args: RpcArgs<F>,
  schema: S,
): Promise<z.infer<S>> {
  const answer = await ports.rpc(fn, args);
  try {
    return parseRpcResult(fn, schema, answer);
  } catch (error) {
    throw new ExportError('database_failed', error instanceof Error ? error.message : String(error), true);
  }
}
