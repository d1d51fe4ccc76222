import { readFileSync } from 'node:fs';

/**
 * The README's configuration table, generated from `.env.example`: each variable with its default and
 * the comment above it, grouped by the `# --- … ---` headings. `npm run docs:env` rewrites the README;
 * a unit test fails when the README is stale.
 */
export function envTable(example: string): string {
  const rows: string[] = [];
  let comment: string[] = [];
  for (const raw of example.split('\n')) {
    const line = raw.trim();
    const heading = /^# --- (.+) ---$/.exec(line);
    if (heading) {
      rows.push(`| **${heading[1]}** | | |`);
      comment = [];
    } else if (line.startsWith('#')) {
      comment.push(line.replace(/^#\s?/, ''));
    } else if (/^[A-Z0-9_]+=/.test(line)) {
      const [name, ...value] = line.split('=');
      const fallback = value.join('=');
      rows.push(
        `| \`${name}\` | ${fallback ? `\`${fallback}\`` : '—'} | ${comment.join(' ').replaceAll('|', '\\|')} |`,
      );
      comment = [];
    } else {
      comment = [];
    }
  }
  // The file's opening comment describes the file, not a variable.
  return ['| variable | default | meaning |', '| --- | --- | --- |', ...rows].join('\n');
}

export const BEGIN = '<!-- env-table:begin (generated from .env.example by `npm run docs:env`) -->';
export const END = '<!-- env-table:end -->';

export function withEnvTable(readme: string, table: string): string {
  const start = readme.indexOf(BEGIN);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) throw new Error('README.md lacks the env-table markers');
  return `${readme.slice(0, start + BEGIN.length)}\n${table}\n${readme.slice(end)}`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { writeFileSync } = await import('node:fs');
  const readme = readFileSync('README.md', 'utf8');
  writeFileSync('README.md', withEnvTable(readme, envTable(readFileSync('.env.example', 'utf8'))));
}
