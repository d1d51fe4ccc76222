import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { projectRoot } from '../../devstack/stack';
import { renderTable, type Table } from './format';
import { describeMachine, type MachineInfo } from './machine';
import type { BenchOptions } from './scenario';

/**
 * Results are committed: one JSON file per scenario (its newest run), and latest.json / latest.md rebuilt
 * from all of them, so running one scenario alone refreshes its part without dropping the others.
 */
export const resultsDir = path.join(projectRoot, 'bench', 'results');

export type ScenarioRecord = {
  scenario: string;
  title: string;
  date: string;
  durationMs: number;
  command: string;
  machine: MachineInfo;
  options: BenchOptions;
  tables: Array<Table & { text: string }>;
  /** Set when the scenario threw: the run goes on with the next one. */
  error?: string;
  data: unknown;
};

export async function writeScenarioRecord(record: ScenarioRecord): Promise<void> {
  await mkdir(resultsDir, { recursive: true });
  await writeFile(path.join(resultsDir, `${record.scenario}.json`), `${JSON.stringify(record, null, 2)}\n`);
}

export function tableTexts(tables: Table[]): Array<Table & { text: string }> {
  return tables.map((t) => ({ ...t, text: renderTable(t) }));
}

export type RunRecord = { command: string; durationMs: number; date: string };

/** The last runs of bench/run.ts, newest last: a full `npm run bench` stays on record after a one-scenario run. */
async function runHistory(lastRun: RunRecord): Promise<RunRecord[]> {
  try {
    const previous = JSON.parse(await readFile(path.join(resultsDir, 'latest.json'), 'utf8')) as { runs?: RunRecord[] };
    return [...(previous.runs ?? []), lastRun].slice(-10);
  } catch {
    return [lastRun];
  }
}

/** Rebuilds latest.json and latest.md from every scenario file, in the scenarios' order. */
export async function writeLatest(order: string[], lastRun: RunRecord): Promise<string> {
  const runs = await runHistory(lastRun);
  const fullRun = runs.filter((r) => r.command === 'npm run bench').at(-1);
  // Scenario records only: latest.json is rebuilt here, summary.json holds the named figures.
  const files = (await readdir(resultsDir)).filter(
    (f) => f.endsWith('.json') && f !== 'latest.json' && f !== 'summary.json',
  );
  const records: ScenarioRecord[] = [];
  for (const file of files)
    records.push(JSON.parse(await readFile(path.join(resultsDir, file), 'utf8')) as ScenarioRecord);
  const rank = (name: string) => (order.includes(name) ? order.indexOf(name) : order.length);
  records.sort((a, b) => rank(a.scenario) - rank(b.scenario));

  await writeFile(path.join(resultsDir, 'latest.json'), `${JSON.stringify({ runs, scenarios: records }, null, 2)}\n`);

  const machines = [...new Set(records.map((r) => describeMachine(r.machine)))];
  const markdown = [
    '# Baton benchmarks — latest results',
    '',
    `Machine: ${machines.join(' / ')}.`,
    ...[fullRun, lastRun === fullRun ? undefined : lastRun]
      .filter((r): r is RunRecord => r !== undefined)
      .map(
        (r) =>
          `Run: \`${r.command}\` on ${r.date.slice(0, 16).replace('T', ' ')} UTC, ${(r.durationMs / 60_000).toFixed(1)} min.`,
      ),
    "Each scenario below shows when it last ran and the machine's 1-minute load average then (other work skews timings).",
    '',
    ...records.flatMap((r) => [
      `## ${r.title}`,
      '',
      `${r.date.slice(0, 16).replace('T', ' ')} UTC, ${(r.durationMs / 1000).toFixed(0)} s, load ${r.machine.loadAverage}: \`${r.command}\``,
      '',
      ...(r.error ? [`**Failed:** ${r.error}`, ''] : []),
      ...r.tables.flatMap((t) => ['```text', t.text, '```', '']),
    ]),
  ].join('\n');
  await writeFile(path.join(resultsDir, 'latest.md'), markdown);
  return markdown;
}
