// The linter run by `npm run lint`: ESLint with typescript-eslint's type-aware
// rules (strict + stylistic), held to zero warnings. Rules turned off or
// tuned below each say why; a disable comment in the code must say why too.
import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { basename, join } from 'node:path';
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import comments from '@eslint-community/eslint-plugin-eslint-comments/configs';
import tseslint from 'typescript-eslint';

// A bare `fs` or `fs/promises` reads like a package from node_modules: DESIGN §9.10 asks for `node:`.
const bareBuiltins = builtinModules.filter((name) => !name.startsWith('_') && !name.startsWith('node:'));
const builtinPaths = bareBuiltins.map((name) => ({ name, message: `import 'node:${name}'` }));

// Test helpers under src/ that the build leaves out (tsconfig.build.json's exclude): code that
// ships must not import one, or tsc would compile it into dist/ after all.
const buildExcludes = JSON.parse(readFileSync(join(import.meta.dirname, 'tsconfig.build.json'), 'utf8')).exclude;
const testHelpers = buildExcludes.filter((path) => !path.includes('*')).map((path) => `**/${basename(path, '.ts')}.js`);

export default defineConfig(
  { ignores: ['dist/', 'node_modules/', 'contrib/', 'docs/', '.roster-demo/'] },
  js.configs.recommended,
  tseslint.configs.strictTypeChecked,
  tseslint.configs.stylisticTypeChecked,
  comments.recommended,
  {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['*.js', '*.ts', 'scripts/*.mjs', 'bench/*.mjs'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error', reportUnusedInlineConfigs: 'error' },
    rules: {
      // Every disable comment says why the rule is wrong there (`-- reason`); the enable that closes it needs none.
      '@eslint-community/eslint-comments/require-description': ['error', { ignore: ['eslint-enable'] }],
      '@eslint-community/eslint-comments/no-unlimited-disable': 'error',
      // A file-wide disable is allowed in the file's first comment (with its reason), where a reader sees it first.
      '@eslint-community/eslint-comments/disable-enable-pair': ['error', { allowWholeFile: true }],

      // DESIGN §9.10: `import type` for types (inline, as the code writes it), `node:` for built-ins.
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-import-type-side-effects': 'error',
      'no-restricted-imports': ['error', { paths: builtinPaths }],
      // DESIGN §9.9: a class member never reassigned is readonly.
      '@typescript-eslint/prefer-readonly': 'error',

      // Tuned to how this code is written:
      // numbers (and bigints) print as themselves; undefined, null and objects in a message are still caught.
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      // `T[]` for simple element types, `Array<{…}>` / `ReadonlyArray<A | B>` where `readonly {…}[]` would read worse.
      '@typescript-eslint/array-type': ['error', { default: 'array-simple' }],
      // `() => done()` and `return done()` in a void function are how callbacks are written here; value misuse is still caught.
      '@typescript-eslint/no-confusing-void-expression': ['error', { ignoreArrowShorthand: true, ignoreVoidReturningFunctions: true }],
      // `async` marks a function meeting a Promise-returning contract, so a throw inside becomes a rejection; promise misuse is caught by no-floating-promises and no-misused-promises.
      '@typescript-eslint/require-await': 'off',
      // `[...text].length` counts code points on purpose (username and password lengths); spreading other things is still checked.
      '@typescript-eslint/no-misused-spread': ['error', { allow: ['string'] }],
      // `x === undefined || x.y !== null` keeps undefined and null apart; `x?.y !== null` hides that a missing x passes.
      '@typescript-eslint/prefer-optional-chain': 'off',
      // It asks for `x!`, which strict's no-non-null-assertion forbids: the two conflict; this code narrows with `as T` where it must.
      '@typescript-eslint/non-nullable-type-assertion-style': 'off',
      // Validation here matches control characters on purpose, to refuse them in names, addresses and paths.
      'no-control-regex': 'off',
      // Expected text laid out with spaces (YAML indentation) reads best written as it is, not as ` {2}`.
      'no-regex-spaces': 'off',
      // `_name` is a parameter a signature requires; a rest sibling omits keys from a copy.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', ignoreRestSiblings: true }],
    },
  },
  {
    files: ['src/**/*.ts', 'src/**/*.tsx'],
    ignores: ['**/*.test.ts', ...buildExcludes],
    rules: {
      'no-restricted-imports': ['error', { paths: builtinPaths, patterns: [{ group: testHelpers, message: 'a test helper, left out of the build (tsconfig.build.json): only tests may import it' }] }],
    },
  },
  {
    // Plain JavaScript (this file, the build scripts) has no types to check against.
    files: ['**/*.js', '**/*.mjs'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
  {
    // vitest's asymmetric matchers (expect.any, expect.stringContaining…) are typed `any` by vitest itself.
    files: ['**/*.test.ts'],
    rules: { '@typescript-eslint/no-unsafe-assignment': 'off' },
  },
);
