// eslint for the widget's sources (run by .ci/run through `npm run lint`).
import js from "@eslint/js";
import globals from "globals";

export default [
  js.configs.recommended,
  {
    files: ["cookieconsent/widget/src/**/*.js"],
    languageOptions: {
      ecmaVersion: 2020,
      sourceType: "module",
      globals: {...globals.browser},
    },
    rules: {
      "no-unused-vars": ["error", {caughtErrors: "none"}],
      "no-var": "error",
      "prefer-const": "error",
      eqeqeq: ["error", "always", {null: "ignore"}],
      "no-eval": "error",
      "no-implied-eval": "error",
      "no-new-func": "error",
      "no-restricted-properties": ["error",
        {property: "innerHTML", message: "Site texts go through text nodes only."},
        {property: "outerHTML", message: "Site texts go through text nodes only."},
        {property: "insertAdjacentHTML", message: "Site texts go through text nodes only."}],
    },
  },
  {
    files: ["scripts/*.mjs", "eslint.config.js"],
    languageOptions: {ecmaVersion: 2022, sourceType: "module", globals: {...globals.node}},
  },
];
