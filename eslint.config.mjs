import js from '@eslint/js';
import pluginQuery from '@tanstack/eslint-plugin-query';
import nextCoreWebVitals from 'eslint-config-next/core-web-vitals';
import nextTypescript from 'eslint-config-next/typescript';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'node_modules/**',
      '.next/**',
      '.next-e2e/**',
      'bench/results/**',
      '.devstack/**',
      'test-results/**',
      'playwright-report/**',
      'next-env.d.ts',
      // Deno code (npm:/jsr: specifiers, Deno globals) is linted by `npm run lint:deno` (deno lint) and
      // type-checked by `deno check`.
      'supabase/functions/**',
      'tests/fixtures/functions/**',
      'devstack/functions/deno/**',
    ],
  },
  js.configs.recommended,
  ...nextCoreWebVitals,
  ...nextTypescript,
  ...pluginQuery.configs['flat/recommended'],
  {
    files: ['**/*.{ts,tsx,mts}'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { attributes: false } }],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Every page an end-to-end test opens is watched for Content-Security-Policy violations by the
    // fixtures in e2e/fixtures.ts; a test or context from elsewhere would escape that.
    files: ['e2e/**/*.ts'],
    ignores: ['e2e/fixtures.ts', 'e2e/browser.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: '@playwright/test',
              importNames: ['test'],
              message: "Import test from './fixtures': it fails a test on any CSP violation.",
            },
          ],
        },
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector: "CallExpression[callee.property.name='newContext'][callee.object.name='browser']",
          message: "Use the newContext fixture from './fixtures': its pages are watched for CSP violations.",
        },
      ],
    },
  },
);
