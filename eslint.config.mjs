// @ts-check
/**
 * Lint: typescript-eslint with type information (floating and misused promises, unsafe any, needless assertions)
 * over every TypeScript source; formatting is Prettier's (.prettierrc.json), so the style rules that would fight
 * it are off (eslint-config-prettier). `npm run lint` runs both checks; `.ci/run` runs it before the tests.
 */
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

/** The rules about `any` flowing through: where the code's input is untyped by nature (see each use). */
const UNTYPED_INPUT = {
  '@typescript-eslint/no-unsafe-assignment': 'off',
  '@typescript-eslint/no-unsafe-member-access': 'off',
  '@typescript-eslint/no-unsafe-argument': 'off',
  '@typescript-eslint/no-unsafe-call': 'off',
  '@typescript-eslint/no-unsafe-return': 'off',
};

export default tseslint.config(
  { ignores: ['node_modules/', 'cdk.out/', '**/*.js', '**/*.mjs', 'packages/*/node_modules/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // Ports and fakes implement async interfaces; a method that needs no await is still one of them.
      '@typescript-eslint/require-await': 'off',
      // `_name` marks a parameter an interface requires and the implementation does not use.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true }],
    },
  },
  {
    // The offline cloud parses AWS wire protocols (XML, JSON, query strings) into whatever each request carries.
    files: ['packages/offline-cloud/**/*.ts'],
    // String() of a property is the wire format's own stringification of a scalar.
    rules: { ...UNTYPED_INPUT, '@typescript-eslint/no-base-to-string': 'off' },
  },
  {
    // Tests read synthesized templates, execution outputs and log lines as parsed JSON, and build partial fakes.
    files: ['test/**/*.ts'],
    // They load some modules fresh with require() after jest.resetModules or an environment change.
    rules: {
      ...UNTYPED_INPUT,
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-base-to-string': 'off',
      '@typescript-eslint/no-require-imports': 'off',
    },
  },
  prettier,
);
