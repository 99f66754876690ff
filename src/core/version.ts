// Revive's version, from the package.json of the app or repository this code runs from (found by walking up from
// this file: src/core in the repository, out/main or out/cli when built, app.asar when packaged). Written into the
// XMP history of every output ("Revive 0.1.0").
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

let cached: string | undefined;

export function reviveVersion(): string {
  if (cached) return cached;
  let dir = typeof __dirname === 'string' ? __dirname : process.cwd();
  for (let i = 0; i < 6; i++) {
    const p = path.join(dir, 'package.json');
    if (existsSync(p)) {
      try {
        const pkg = JSON.parse(readFileSync(p, 'utf8')) as { name?: unknown; version?: unknown };
        if (pkg.name === 'revive' && typeof pkg.version === 'string') return (cached = pkg.version);
      } catch {
        // keep looking
      }
    }
    dir = path.dirname(dir);
  }
  return (cached = 'unknown');
}
