import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { resultsDir } from './results';

/**
 * `bench/results/summary.json`: one flat object of named figures, each from the latest run of the
 * scenario that measures it, with that run's date. A scenario returns its figures by name; a run of
 * one scenario replaces only its own figures and keeps every other one with its own date.
 */
type Figure = { value: number; date: string; scenario: string; load: number };
type Summary = Record<string, Figure>;

const summaryPath = path.join(resultsDir, 'summary.json');

async function readSummary(): Promise<Summary> {
  try {
    return JSON.parse(await readFile(summaryPath, 'utf8')) as Summary;
  } catch {
    return {};
  }
}

export async function recordFigures(
  figures: Record<string, number>,
  from: { scenario: string; date: string; load: number },
): Promise<void> {
  const summary = await readSummary();
  for (const [name, value] of Object.entries(figures)) {
    // A figure that could not be measured this time (NaN) keeps its earlier value rather than becoming null.
    if (Number.isFinite(value)) summary[name] = { value, ...from };
  }
  const sorted = Object.fromEntries(Object.entries(summary).sort(([a], [b]) => a.localeCompare(b)));
  await writeFile(summaryPath, `${JSON.stringify(sorted, null, 2)}\n`);
}
