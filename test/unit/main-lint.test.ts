// The layer rules of docs/ARCHITECTURE.md (eslint.config.js, no-restricted-imports per folder), checked by linting
// deliberately bad snippets, so the rules cannot silently rot; and good ones, so they do not over-reach.
import fs from 'node:fs';
import path from 'node:path';
import { ESLint } from 'eslint';
import { beforeAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(__dirname, '../..');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { LAYERS } = require('../../eslint.config.js') as { LAYERS: Record<string, unknown[]> };
let eslint: ESLint;

beforeAll(() => {
  eslint = new ESLint({ cwd: ROOT });
});

async function layerErrors(file: string, code: string): Promise<string[]> {
  const [r] = await eslint.lintText(code, { filePath: path.join(ROOT, file) });
  return r.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('layer rules', () => {
  it('src/renderer: no Node built-ins, no electron, no src/core or src/main', async () => {
    expect(await layerErrors('src/renderer/lib/bad.ts', "import { readFileSync } from 'node:fs';\nreadFileSync('x');\n"))
      .toEqual([expect.stringMatching(/src\/renderer is a web page: no Node built-ins/)]);
    expect(await layerErrors('src/renderer/lib/bad.ts', "import fs from 'fs/promises';\nvoid fs;\n")).toHaveLength(1);
    expect(await layerErrors('src/renderer/lib/bad.ts', "import path from 'path';\nvoid path;\n")).toHaveLength(1);
    expect(await layerErrors('src/renderer/lib/bad.ts', "import { ipcRenderer } from 'electron';\nvoid ipcRenderer;\n"))
      .toEqual([expect.stringMatching(/never imports electron/)]);
    expect(await layerErrors('src/renderer/lib/bad.ts', "import { EngineService } from '../../core/service';\nvoid EngineService;\n"))
      .toEqual([expect.stringMatching(/src\/renderer imports only src\/shared/)]);
    expect(await layerErrors('src/renderer/bad.ts', "export { registerIpc } from '../main/ipc';\n")).toHaveLength(1);
    expect(
      await layerErrors('src/renderer/components/Bad.svelte', "<script lang=\"ts\">\n  import os from 'node:os';\n  void os;\n</script>\n"),
    ).toHaveLength(1);
  });

  it('src/shared imports nothing outside itself', async () => {
    expect(await layerErrors('src/shared/bad.ts', "import path from 'node:path';\nvoid path;\n")).toHaveLength(1);
    expect(await layerErrors('src/shared/bad.ts', "import type { X } from '../core/service';\nexport type Y = X;\n")).toHaveLength(1);
    expect(await layerErrors('src/shared/bad.ts', "import sharp from 'sharp';\nvoid sharp;\n")).toHaveLength(1);
  });

  it('src/core never imports electron (nor the app layers); src/cli never imports electron or src/main', async () => {
    expect(await layerErrors('src/core/bad.ts', "import { app } from 'electron';\nvoid app;\n"))
      .toEqual([expect.stringMatching(/src\/core is plain Node/)]);
    expect(await layerErrors('src/core/jobs/bad.ts', "import { x } from '../../main/dispatch';\nvoid x;\n")).toHaveLength(1);
    expect(await layerErrors('src/cli/bad.ts', "import { dialog } from 'electron/main';\nvoid dialog;\n")).toHaveLength(1);
    expect(await layerErrors('src/cli/bad.ts', "import { createDispatcher } from '../main/dispatch';\nvoid createDispatcher;\n"))
      .toHaveLength(1);
  });

  it('src/preload imports only electron and src/shared', async () => {
    expect(await layerErrors('src/preload/bad.ts', "import fs from 'node:fs';\nvoid fs;\n")).toHaveLength(1);
    expect(await layerErrors('src/preload/bad.ts', "import { EngineService } from '../core/service';\nvoid EngineService;\n"))
      .toHaveLength(1);
    expect(await layerErrors('src/preload/bad.ts', "import { mount } from 'svelte';\nvoid mount;\n")).toHaveLength(1);
  });

  it('lets each layer import what it may', async () => {
    const ok: [string, string][] = [
      ['src/renderer/lib/ok.ts', "import { CH } from '../../shared/api';\nimport { mount } from 'svelte';\nvoid CH; void mount;\n"],
      ['src/shared/ok.ts', "import { CH } from './api';\nvoid CH;\n"],
      ['src/core/ok.ts', "import path from 'node:path';\nimport sharp from 'sharp';\nimport { CH } from '../shared/api';\nvoid path; void sharp; void CH;\n"],
      ['src/main/ok.ts', "import { app } from 'electron';\nimport { EngineService } from '../core/service';\nimport fs from 'node:fs';\nvoid app; void EngineService; void fs;\n"],
      ['src/preload/ok.ts', "import { contextBridge } from 'electron';\nimport { CH } from '../shared/api';\nvoid contextBridge; void CH;\n"],
      ['src/cli/ok.ts', "import { EngineService } from '../core/service';\nimport fs from 'node:fs';\nvoid EngineService; void fs;\n"],
    ];
    for (const [file, code] of ok) expect(await layerErrors(file, code), file).toEqual([]);
  });

  it('passes on the real sources of every layer', async () => {
    const results = await eslint.lintFiles(Object.keys(LAYERS));
    const problems = results.flatMap((r) => r.messages.map((m) => `${path.relative(ROOT, r.filePath)}:${m.line} ${m.ruleId} ${m.message}`));
    expect(problems).toEqual([]);
  });

  it('every source file is in a layer with its rule', async () => {
    const files = (fs.readdirSync(path.join(ROOT, 'src'), { recursive: true }) as string[])
      .filter((f) => /\.(ts|js|mjs|cjs|svelte)$/.test(f))
      .map((f) => `src/${f.split(path.sep).join('/')}`);
    expect(files.length).toBeGreaterThan(50);
    const layerOf = (f: string) => Object.keys(LAYERS).find((dir) => f.startsWith(`${dir}/`));
    expect(files.filter((f) => !layerOf(f))).toEqual([]);
    // and the rule really applies to each of them (eslint's resolved config has the layer's no-restricted-imports)
    for (const f of files) {
      const config = await eslint.calculateConfigForFile(path.join(ROOT, f));
      const rule = config.rules?.['no-restricted-imports'];
      expect(rule?.[1]?.patterns, f).toEqual(LAYERS[layerOf(f)!]);
    }
  });
});
