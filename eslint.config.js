// @ts-check
import eslint from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["node_modules/", "out/", ".cache/", "dist/", "**/*.py", "**/*-tmp*"] },
  eslint.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { console: "readonly", process: "readonly", globalThis: "readonly" } },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/no-unsafe-function-type": "off",
      "no-constant-condition": ["error", { checkLoops: false }],
      // The runtime's array class is named Array, as JAX's is; `new Array(aval, buffer)` is ours.
      "@typescript-eslint/no-array-constructor": "off",
    },
  },
);
