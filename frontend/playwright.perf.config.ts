import base from "./playwright.config";
import { defineConfig } from "@playwright/test";

/** `npm run perf`: list-view timings (printed, not asserted). */
export default defineConfig({ ...base, testIgnore: [], testMatch: ["**/perf.spec.ts"], reporter: [["list"]] });
