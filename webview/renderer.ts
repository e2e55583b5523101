/**
 * @file The notebook renderer's entry (VS Code's renderer API boilerplate): one output item of
 * our MIME types → the DOM, drawn by `render.ts`.
 */

import type { ActivationFunction } from "vscode-notebook-renderer";
import { renderItem } from "./render.js";

export const activate: ActivationFunction = () => ({
  renderOutputItem(item, element) {
    renderItem(item.mime, item.json(), element);
  },
  disposeOutputItem() {
    // Vega views are garbage-collected with their elements.
  },
});
