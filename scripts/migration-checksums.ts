import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { isMain, MIGRATIONS_DIR, projectRoot } from './migrated-database';

/**
 * A shipped migration never changes. A database that has run a migration keeps what that version said;
 * editing the file afterwards makes fresh databases differ from it, silently (`migrate()` and the Supabase
 * CLI skip a version they have recorded). A fix is a new migration.
 *
 * `supabase/migration-checksums.txt` holds the sha256 of every migration, in `sha256sum` format (so
 * `cd supabase/migrations && sha256sum -c ../migration-checksums.txt` checks them too). It lives beside
 * the folder, not in it: the folder is for `<version>_<name>.sql` files only. The unit test
 * (`migration-checksums.test.ts`) fails when a listed migration changed or disappeared, and when a
 * migration has no checksum yet; `npm run db:checksums` adds the missing ones and never rewrites a
 * listed one.
 */
export const CHECKSUMS_FILE = path.join(projectRoot, 'supabase', 'migration-checksums.txt');

/** What `migrate()` applies: `<version>_<name>.sql`. */
const MIGRATION_FILE = /^\d+_.+\.sql$/;

/** sha256 of a migration's text; CRLF read as LF, so a Windows checkout hashes the same. */
export function migrationChecksum(text: string): string {
  return createHash('sha256').update(text.replaceAll('\r\n', '\n')).digest('hex');
}

/** `<sha256>  <file>` lines → file → sha256. */
export function parseChecksums(text: string): Map<string, string> {
  const listed = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const match = /^([0-9a-f]{64}) [ *](.+)$/.exec(line);
    if (!match) throw new Error(`${path.relative(projectRoot, CHECKSUMS_FILE)}: not a checksum line: ${line}`);
    listed.set(match[2]!, match[1]!);
  }
  return listed;
}

export function formatChecksums(checksums: Map<string, string>): string {
  return [...checksums]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([file, sum]) => `${sum}  ${file}\n`)
    .join('');
}

/** Every migration file of the folder with its checksum. */
export async function migrationChecksums(dir: string = MIGRATIONS_DIR): Promise<Map<string, string>> {
  const files = (await readdir(dir)).filter((file) => MIGRATION_FILE.test(file)).sort();
  const sums = new Map<string, string>();
  for (const file of files) sums.set(file, migrationChecksum(await readFile(path.join(dir, file), 'utf8')));
  return sums;
}

export type ChecksumProblem = { file: string; problem: 'changed' | 'missing' | 'unlisted' | 'out_of_order' };

/**
 * What is wrong with the folder against the list: a listed migration changed or gone, a migration not
 * listed yet, or a new one whose version sorts before a shipped one (a database that has the later one
 * would run it out of order).
 */
export function checkMigrations(listed: Map<string, string>, actual: Map<string, string>): ChecksumProblem[] {
  const problems: ChecksumProblem[] = [];
  for (const [file, sum] of listed) {
    const now = actual.get(file);
    if (now === undefined) problems.push({ file, problem: 'missing' });
    else if (now !== sum) problems.push({ file, problem: 'changed' });
  }
  const lastShipped = [...listed.keys()].sort().at(-1);
  for (const file of actual.keys()) {
    if (listed.has(file)) continue;
    problems.push({ file, problem: 'unlisted' });
    if (lastShipped !== undefined && file < lastShipped) problems.push({ file, problem: 'out_of_order' });
  }
  return problems;
}

/** One line a person can act on, per problem. */
export function explain({ file, problem }: ChecksumProblem): string {
  const where = `supabase/migrations/${file}`;
  switch (problem) {
    case 'changed':
      return `${where} changed after it shipped. Shipped migrations never change: restore it and write a new migration.`;
    case 'missing':
      return `${where} is gone but shipped (listed in supabase/migration-checksums.txt). Shipped migrations never change: restore it.`;
    case 'unlisted':
      return `${where} has no checksum yet: add it with \`npm run db:checksums\` and commit supabase/migration-checksums.txt with the migration.`;
    case 'out_of_order':
      return `${where} sorts before a shipped migration: give it a later version (a database that has the shipped one would apply it out of order).`;
  }
}

if (isMain(import.meta.url)) {
  const listed = existsSync(CHECKSUMS_FILE) ? parseChecksums(await readFile(CHECKSUMS_FILE, 'utf8')) : new Map();
  const actual = await migrationChecksums();
  const refused = checkMigrations(listed, actual).filter((p) => p.problem !== 'unlisted');
  if (refused.length > 0) {
    for (const problem of refused) console.error(explain(problem));
    console.error('No checksum written: a listed checksum is never rewritten.');
    process.exit(1);
  }
  const added = [...actual.keys()].filter((file) => !listed.has(file));
  await writeFile(
    CHECKSUMS_FILE,
    formatChecksums(new Map([...listed, ...added.map((f) => [f, actual.get(f)!] as const)])),
  );
  console.log(added.length ? `added ${added.join(', ')}` : 'every migration already has its checksum');
}
