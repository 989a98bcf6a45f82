import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'data/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  {
    // The core is pure: no packages, no outer layers, time only from the Clock port.
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        { regex: '^(?!\\.|node:crypto$)', message: 'src/core imports only relative modules and node:crypto' },
        { regex: '(store|delivery|scheduler|http|cli|adapters)/', message: 'src/core must not import outer layers' },
      ] }],
      'no-restricted-syntax': ['error',
        { selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']", message: 'use the Clock port' },
        { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: 'use the Clock port' },
      ],
    },
  },
);
