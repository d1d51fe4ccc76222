import { ExportError } from '../export-error.ts';
import type { RpcArgs } from '../worker-rpc-args.ts';
import { parseRpcResult, type AnsweringRpc, type RpcAnswer } from '../worker-rpc-results.ts';
import type { WorkerPorts } from './ports.ts';

/** A state-machine call: arguments typed by its name (worker-rpc-args.ts), answer read with its schema. */
export async function callState<F extends AnsweringRpc>(
  ports: Pick<WorkerPorts, 'rpc'>,
  fn: F,
  args: RpcArgs<F>,
): Promise<RpcAnswer<F>> {
  const answer = await ports.rpc(fn, args);
  try {
    return parseRpcResult(fn, answer);
  } catch (error) {
    throw new ExportError('database_failed', error instanceof Error ? error.message : String(error), true);
  }
}
