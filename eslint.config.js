// ESLint flat config. Besides the usual recommended rules, it enforces the layers of docs/ARCHITECTURE.md: a file's
// folder says where it runs and what it may import (no-restricted-imports per folder, see LAYERS below).
// test/unit/main-lint.test.ts lints deliberately bad snippets with this config so the rules cannot silently rot.
const { builtinModules } = require('node:module');
const js = require('@eslint/js');
const tseslint = require('typescript-eslint');
const globals = require('globals');
const svelte = require('eslint-plugin-svelte');

const esc = (s) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
const builtins = [...new Set(builtinModules.filter((m) => !m.startsWith('_')).map((m) => m.split('/')[0]))];

/** `fs`, `fs/promises`, `node:fs`... */
const NODE = {
  regex: `^(node:.+|(${builtins.map(esc).join('|')})(/.*)?)$`,
  message: 'Node built-ins are not available here.',
};
const ELECTRON = { regex: '^electron(/.*)?$', message: 'electron is not available here.' };
/** A relative import that climbs out into src/<layer> (e.g. ../../core/service). */
const into = (layers, message) => ({ regex: `^(\\.\\./)+(src/)?(${layers.join('|')})(/|$)`, message });

/** Per folder: what it must not import. The message names the rule of docs/ARCHITECTURE.md that forbids it. */
const LAYERS = {
  'src/shared': [
    {
      regex: '^(?!\\./)',
      message: 'src/shared runs anywhere and imports nothing outside src/shared (only ./ siblings).',
    },
  ],
  'src/core': [
    { ...ELECTRON, message: 'src/core is plain Node (CLI, utility process, tests): it never imports electron.' },
    into(['main', 'preload', 'renderer', 'cli'], 'src/core imports only src/shared, Node and its native packages.'),
  ],
  'src/renderer': [
    { ...NODE, message: 'src/renderer is a web page: no Node built-ins. Ask the app through window.revive.' },
    { ...ELECTRON, message: 'src/renderer never imports electron: it talks to the app only through window.revive.' },
    into(['core', 'main', 'preload', 'cli'], 'src/renderer imports only src/shared (types and pure helpers).'),
  ],
  'src/preload': [
    {
      regex: '^(?!electron$|(\\.\\./)+(src/)?shared(/|$)|\\./)',
      message: 'The sandboxed preload imports only electron and src/shared.',
    },
  ],
  'src/cli': [
    { ...ELECTRON, message: 'src/cli is plain Node: it never imports electron.' },
    into(['main', 'preload', 'renderer'], 'src/cli imports only src/shared, src/core and Node.'),
  ],
  'src/main': [into(['renderer', 'preload', 'cli'], 'src/main imports only src/shared, src/core, electron and Node.')],
  'src/electron-utility': [
    into(
      ['main', 'renderer', 'preload', 'cli'],
      'src/electron-utility (the utility process hosting the engine) imports only src/shared, src/core, electron and Node.',
    ),
  ],
};

const layerConfigs = Object.entries(LAYERS).map(([dir, patterns]) => ({
  name: `revive/layers/${dir}`,
  files: [`${dir}/**/*.{ts,js,mjs,cjs,svelte}`],
  rules: { 'no-restricted-imports': ['error', { patterns }] },
}));

module.exports = tseslint.config(
  {
    ignores: [
      'out/**',
      'dist/**',
      'node_modules/**',
      'models/**',
      'training/**',
      'samples/**',
      'samples-restored/**',
      'test/.tmp/**',
      'test/fixtures/**',
      'bench/.tmp/**',
      '.cache/**',
      '**/*.py',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...svelte.configs['flat/recommended'],
  {
    languageOptions: { ecmaVersion: 2023, sourceType: 'module', globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-empty-object-type': 'off',
      '@typescript-eslint/no-unused-expressions': ['error', { allowShortCircuit: true, allowTernary: true }],
      // reading a package's version is fine
      '@typescript-eslint/no-require-imports': ['error', { allow: ['/package\\.json$'] }],
    },
  },
  {
    // tests match terminal output, escape codes included
    files: ['test/**/*.ts'],
    rules: { 'no-control-regex': 'off' },
  },
  {
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: {
      parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.svelte'] },
    },
  },
  {
    files: ['src/renderer/**/*'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    // this file and other CommonJS configs
    files: ['**/*.cjs', 'eslint.config.js'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // scripts that run inside the test browser's page
    files: ['test/e2e/page/**/*.js'],
    languageOptions: { sourceType: 'script', globals: { ...globals.browser } },
  },
  ...layerConfigs,
);

module.exports.LAYERS = LAYERS;
