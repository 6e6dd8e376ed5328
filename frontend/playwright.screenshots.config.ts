import base from "./playwright.config";
import { defineConfig } from "@playwright/test";

/** `npm run screenshots`: the main screens in light mode, into ../docs/screenshots/*.png. */
export default defineConfig({
  ...base,
  testIgnore: [],
  testMatch: ["**/screenshots.spec.ts"],
  use: { ...base.use, colorScheme: "light", viewport: { width: 1440, height: 900 }, deviceScaleFactor: 1 },
});
