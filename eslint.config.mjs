// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Browser code: linted only for what it may import (svelte-check types it). */
const browser = ['*-service/*-frontend/**', 'libs/ui/**'];

/** A frontend never imports a backend's files (nor the Node-only kit): generated clients and the contracts instead. */
const noBackendImports = {
  patterns: [
    {
      regex: '(^|/)[a-z]+-backend(/|$)',
      message: "A frontend never imports a backend's files: use the typed clients (feedApi, … from @ticketslave/ui) or @ticketslave/contracts.",
    },
    {
      group: ['@ticketslave/common', '@ticketslave/common/*'],
      message: 'libs/common is Node-only: shared browser/server code lives in @ticketslave/contracts.',
    },
  ],
};

export default tseslint.config(
  { ignores: ['**/node_modules/**', '.local/**', '**/dist/**', '**/*.svelte', 'eslint.config.mjs', 'scripts/*.mjs', 'jest.config.js', 'dev/test-support/sequencer.js'] },
  {
    files: [...browser.map((g) => `${g.slice(0, -3)}/**/*.ts`)],
    ignores: ['**/vite.config.ts', 'libs/ui/src/vite.ts'],
    languageOptions: { parser: tseslint.parser },
    rules: { 'no-restricted-imports': ['error', noBackendImports] },
  },
  {
    ignores: browser,
    extends: [js.configs.recommended, ...tseslint.configs.recommendedTypeChecked],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false, attributes: false } }],
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/restrict-template-expressions': 'off',
    },
  },
  {
    // Imported by browsers and servers alike: nothing from Node, nothing from the kit.
    files: ['libs/contracts/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: '^node:', message: '@ticketslave/contracts runs in browsers too: no Node modules.' },
            ...noBackendImports.patterns,
          ],
        },
      ],
    },
  },
);
