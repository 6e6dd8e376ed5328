import { defineConfig, devices } from "@playwright/test";

/**
 * End-to-end tests: a real `kronos serve` (fresh SQLite database in a temp dir, started by e2e/global-setup.ts)
 * serving the built app (frontend/dist: run `npm run build` first; `make test` does), driven by Debian's
 * Chromium. Browsers are never downloaded (PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1).
 */
export default defineConfig({
  testDir: "./e2e",
  testIgnore: ["**/screenshots.spec.ts", "**/perf.spec.ts"],
  globalSetup: "./e2e/global-setup.ts",
  fullyParallel: false,
  workers: 1,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  retries: process.env.CI ? 1 : 0,
  reporter: [["list"]],
  outputDir: "test-results",
  use: {
    ...devices["Desktop Chrome"],
    headless: true,
    viewport: { width: 1360, height: 860 },
    launchOptions: { executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium", args: ["--no-sandbox"] },
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
  },
});
