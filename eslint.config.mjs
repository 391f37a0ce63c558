// Lint for what review should not have to catch: unused symbols, floating mistakes, long lines.
// Formatting itself is prettier's (`prettier --check` runs beside eslint in `npm run lint`).
import js from '@eslint/js'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  { ignores: ['dist/', 'docs/', 'node_modules/', 'coverage/', 'test/ferretdb/', '**/*.d.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
      // Lazy and ESM-from-CommonJS loading use require on purpose.
      '@typescript-eslint/no-require-imports': 'off',
      // Terminal output is matched and cleaned of its escape sequences on purpose.
      'no-control-regex': 'off',
      'max-len': [
        'error',
        {
          code: 140,
          ignoreStrings: true,
          ignoreTemplateLiterals: true,
          ignoreRegExpLiterals: true,
          ignoreUrls: true,
        },
      ],
    },
  },
  {
    // Tests hand the API values its types refuse, to check the errors at run time.
    files: ['test/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // The in-container runtime and the session reaper are plain CommonJS JavaScript for node >= 12.
    files: ['src/runtime/lev-runtime.js', 'src/reaper/reaper-script.js', 'reliability/lib/rss-child.cjs'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: {
        require: 'readonly',
        process: 'readonly',
        module: 'writable',
        Buffer: 'readonly',
        console: 'readonly',
        __dirname: 'readonly',
        setTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
      },
    },
  },
)
