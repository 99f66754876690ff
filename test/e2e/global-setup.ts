// Before the e2e tests: make sure out/renderer is a build of the current sources (`npm run test:e2e` builds first;
// this catches a direct `vitest run --config vitest.e2e.config.ts` after an edit).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');

function newest(dir: string): number {
  let t = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : fs.statSync(p).mtimeMs);
  }
  return t;
}

export default function setup(): void {
  const built = path.join(ROOT, 'out/renderer/index.html');
  const sources = Math.max(newest(path.join(ROOT, 'src/renderer')), newest(path.join(ROOT, 'src/shared')));
  if (fs.existsSync(built) && fs.statSync(built).mtimeMs >= sources) return;
  const r = spawnSync('npx', ['electron-vite', 'build'], { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) throw new Error('electron-vite build failed; the e2e tests need out/renderer');
}
