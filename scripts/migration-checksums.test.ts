import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import {
  checkMigrations,
  CHECKSUMS_FILE,
  explain,
  formatChecksums,
  migrationChecksum,
  migrationChecksums,
  parseChecksums,
} from './migration-checksums';

const sum = migrationChecksum;

describe('supabase/migrations', () => {
  it('holds every shipped migration unchanged, and every migration has its checksum', async () => {
    const listed = parseChecksums(await readFile(CHECKSUMS_FILE, 'utf8'));
    const problems = checkMigrations(listed, await migrationChecksums()).map(explain);
    expect(problems, problems.join('\n')).toEqual([]);
    expect(listed.size).toBeGreaterThan(0);
  });
});

describe('checkMigrations', () => {
  const shipped = new Map([
    ['20260101000100_a.sql', sum('create table a ();')],
    ['20260101000200_b.sql', sum('create table b ();')],
  ]);

  it('finds nothing wrong when the folder is what was shipped, whatever the line endings', () => {
    expect(checkMigrations(shipped, new Map(shipped))).toEqual([]);
    expect(migrationChecksum('create table a ();\r\n')).toBe(migrationChecksum('create table a ();\n'));
  });

  it('refuses a shipped migration that changed or disappeared', () => {
    const actual = new Map([['20260101000100_a.sql', sum('create table a (id int);')]]);
    expect(checkMigrations(shipped, actual)).toEqual([
      { file: '20260101000100_a.sql', problem: 'changed' },
      { file: '20260101000200_b.sql', problem: 'missing' },
    ]);
    expect(explain({ file: '20260101000100_a.sql', problem: 'changed' })).toMatch(
      /Shipped migrations never change: restore it and write a new migration/,
    );
  });

  it('asks for the checksum of a new migration, and a later version than every shipped one', () => {
    const actual = new Map([...shipped, ['20260101000150_between.sql', sum('x')], ['20260101000300_c.sql', sum('y')]]);
    expect(checkMigrations(shipped, actual)).toEqual([
      { file: '20260101000150_between.sql', problem: 'unlisted' },
      { file: '20260101000150_between.sql', problem: 'out_of_order' },
      { file: '20260101000300_c.sql', problem: 'unlisted' },
    ]);
    expect(explain({ file: '20260101000300_c.sql', problem: 'unlisted' })).toMatch(/npm run db:checksums/);
  });

  it('reads what it writes (sha256sum format)', () => {
    const text = formatChecksums(shipped);
    expect(text).toBe(
      `${shipped.get('20260101000100_a.sql')}  20260101000100_a.sql\n${shipped.get('20260101000200_b.sql')}  20260101000200_b.sql\n`,
    );
    expect(parseChecksums(text)).toEqual(shipped);
    expect(() => parseChecksums('not a line')).toThrow(/not a checksum line/);
  });
});
