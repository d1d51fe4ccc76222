import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { envTable, withEnvTable } from './env-table';

describe('README configuration table', () => {
  it('lists every variable of .env.example with its default and meaning', () => {
    const table = envTable('# --- App ---\n# The URL.\nA_URL=http://x\n# Secret | key.\nB_KEY=\n');
    expect(table.split('\n').slice(2)).toEqual([
      '| **App** | | |',
      '| `A_URL` | `http://x` | The URL. |',
      '| `B_KEY` | — | Secret \\| key. |',
    ]);
  });

  it('is current in README.md (run `npm run docs:env` after editing .env.example)', () => {
    const readme = readFileSync('README.md', 'utf8');
    expect(withEnvTable(readme, envTable(readFileSync('.env.example', 'utf8')))).toBe(readme);
  });
});
