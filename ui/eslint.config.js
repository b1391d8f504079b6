// Lints for the UI: ESLint's and typescript-eslint's recommended rules, the Rules of Hooks, no
// `any`, and no import cycles (a cycle means two folders that should be one, or a missing layer).
import { fileURLToPath } from "node:url";

import js from "@eslint/js";
import { defineConfig, globalIgnores } from "eslint/config";
import { createNodeResolver, importX } from "eslint-plugin-import-x";
import reactHooks from "eslint-plugin-react-hooks";
import globals from "globals";
import tseslint from "typescript-eslint";

const TS_EXTENSIONS = [".ts", ".tsx", ".cts", ".mts"];
const ALL_EXTENSIONS = [...TS_EXTENSIONS, ".js", ".jsx", ".cjs", ".mjs"];

export default defineConfig([
  globalIgnores(["dist/", "node_modules/", "src/generated/"]),
  js.configs.recommended,
  tseslint.configs.recommended,
  reactHooks.configs.flat.recommended,
  {
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: "module",
      globals: globals.browser,
    },
    plugins: { "import-x": importX },
    settings: {
      "import-x/extensions": ALL_EXTENSIONS,
      "import-x/external-module-folders": ["node_modules", "node_modules/@types"],
      // Imported files are parsed as TypeScript too, whichever file imports them.
      "import-x/parsers": { "@typescript-eslint/parser": TS_EXTENSIONS },
      // import-x's built-in resolver (unrs-resolver) reads tsconfig.json itself, so no
      // eslint-import-resolver-typescript is needed.
      "import-x/resolver-next": [
        createNodeResolver({
          extensions: [...ALL_EXTENSIONS, ".json", ".d.ts"],
          tsconfig: { configFile: fileURLToPath(new URL("./tsconfig.json", import.meta.url)) },
        }),
      ],
    },
    rules: {
      "import-x/no-cycle": "error",
      "@typescript-eslint/no-explicit-any": "error",
    },
  },
  {
    files: ["*.config.{js,ts}"],
    languageOptions: { globals: globals.node },
  },
]);
