/**
 * When to start the next copy of the worker (its heir) so that its boot overlaps this invocation's last
 * pages instead of following them: as soon as the time left before a budget runs out is no more than
 * the heir needs to boot (measured by this copy's own boot), warm up (a fetch and a few encodes, about
 * three pages) and register, plus a page or two of slack.
 */
export type HeirTimingInput = {
  /** Wall time and CPU since the lease was taken, and the budgets for both. */
  elapsedMs: number;
  cpuUsedMs: number;
  timeBudgetMs: number;
  cpuBudgetMs: number;
  /** How long this copy took from process start to serving (the heir will take about as long). */
  bootMs: number;
  /** Wall time of one page so far (median-ish): what the heir's warm-up and the slack are measured in. */
  pageMs: number;
};

/** Wall time left before the first budget runs out, with CPU spent at its rate so far. */
export function wallTimeLeftMs(input: HeirTimingInput): number {
  const byWall = input.timeBudgetMs - input.elapsedMs;
  if (input.cpuUsedMs <= 0 || input.elapsedMs <= 0) return byWall;
  const cpuPerWallMs = input.cpuUsedMs / input.elapsedMs;
  const byCpu = (input.cpuBudgetMs - input.cpuUsedMs) / cpuPerWallMs;
  return Math.min(byWall, byCpu);
}

export function shouldStartHeir(input: HeirTimingInput): boolean {
  return wallTimeLeftMs(input) <= 1.5 * input.bootMs + 5 * input.pageMs;
}
