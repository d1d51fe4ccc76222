import { spawn } from 'node:child_process';
import { runDevstack, stopOnSignals } from './main';
import { projectRoot } from './stack';

/**
 * `npm run dev`: the devstack with demo data, then `next dev` on http://localhost:3000 reading the
 * `.env.local` the devstack just wrote. Ctrl-C stops both.
 */
const stack = await runDevstack(process.argv.slice(2));
const next = spawn(process.execPath, ['node_modules/next/dist/bin/next', 'dev', '--port', process.env.PORT ?? '3000'], {
  cwd: projectRoot,
  stdio: 'inherit',
});
stopOnSignals(async () => {
  next.kill('SIGTERM');
  await stack.stop();
});
next.on('exit', (code) => {
  void stack.stop().finally(() => process.exit(code ?? 0));
});
