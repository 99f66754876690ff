// `revive <command> [options]`: dispatches to the command table; exit status 0 ok, 1 some work failed, 2 usage.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { COMMANDS } from './commands';
import { type CliIO, UsageError } from './io';

export function version(): string {
  let dir = typeof __dirname === 'string' ? __dirname : process.cwd();
  for (let i = 0; i < 5; i++) {
    const p = path.join(dir, 'package.json');
    if (existsSync(p)) {
      try {
        const pkg = JSON.parse(readFileSync(p, 'utf8'));
        if (pkg.name === 'revive' && typeof pkg.version === 'string') return pkg.version;
      } catch {
        // keep looking
      }
    }
    dir = path.dirname(dir);
  }
  return 'unknown';
}

export function mainUsage(): string {
  const w = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'Revive: bring old photos back to life, on your own machine.',
    '',
    'usage: revive <command> [options]',
    '',
    'commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(w)}  ${c.summary}`),
    '',
    'revive <command> --help   options of a command',
    'revive --version          the version',
    '',
    'Exit status: 0 all done, 1 some files failed (the others are still done), 2 usage error.',
    '',
  ].join('\n');
}

export async function runCli(argv: string[], io: CliIO): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined) {
    io.err(mainUsage());
    return 2;
  }
  if (first === '--help' || first === '-h' || first === 'help') {
    if (first === 'help' && rest[0]) return runCli([rest[0], '--help'], io);
    io.out(mainUsage());
    return 0;
  }
  if (first === '--version' || first === '-v') {
    io.out(`${version()}\n`);
    return 0;
  }
  const entry = COMMANDS.find((c) => c.name === first);
  if (!entry) {
    io.err(`revive: unknown command "${first}"\n\n${mainUsage()}`);
    return 2;
  }
  const cmd = await entry.load();
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(cmd.usage);
    return 0;
  }
  try {
    return await cmd.run(rest, io);
  } catch (e) {
    if (e instanceof UsageError || (e as NodeJS.ErrnoException)?.code?.startsWith?.('ERR_PARSE_ARGS')) {
      io.err(`revive ${entry.name}: ${(e as Error).message}\n\n${cmd.usage}`);
      return 2;
    }
    io.err(`revive ${entry.name}: ${(e as Error)?.message ?? String(e)}\n`);
    return 1;
  }
}
