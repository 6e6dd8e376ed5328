/**
 * The first start (#15 item 6): `kronos serve` on an empty data directory creates the owner account and prints
 * its password in the terminal; the sign-in page names that account until someone signs in. This spec starts a
 * server of its own for each test (global-setup's is signed in to by every other spec, and chooses the owner's
 * password), in development mode with no KRONOS_ADMIN_* settings, exactly as `make run` does.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { expect, test as base } from "./fixtures";
import { freePort } from "./global-setup";

type FirstStart = { base: string; output: () => string };

const test = base.extend<{ firstStart: FirstStart }>({
  firstStart: async ({}, use) => {
    const repo = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
    const dist = process.env.E2E_DIST ? resolve(process.env.E2E_DIST) : join(repo, "frontend", "dist");
    const dir = mkdtempSync(join(tmpdir(), "kronos-e2e-first-"));
    const port = await freePort();
    const venv = join(repo, ".venv", "bin", "kronos");
    let output = "";
    const child: ChildProcess = spawn(existsSync(venv) ? venv : "kronos", ["serve"], {
      cwd: dir,
      env: {
        // Plain text, as a terminal without colours shows it (Playwright sets FORCE_COLOR for its workers).
        ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("KRONOS_") && k !== "FORCE_COLOR")),
        NO_COLOR: "1",
        KRONOS_ENV: "development",
        KRONOS_DATA_DIR: dir,
        KRONOS_WEB_DIST: dist,
        KRONOS_HOST: "127.0.0.1",
        KRONOS_PORT: String(port),
        KRONOS_LOG_FORMAT: "json",
        COLUMNS: "200",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const base = `http://127.0.0.1:${port}`;
    await expect
      .poll(
        async () => {
          if (child.exitCode !== null) throw new Error(`kronos serve exited with ${child.exitCode}:\n${output}`);
          return fetch(`${base}/readyz`).then((r) => r.ok, () => false);
        },
        { timeout: 60_000 },
      )
      .toBe(true);
    await use({ base, output: () => output });
    const exited = new Promise((done) => child.once("exit", done));
    child.kill("SIGINT");
    await exited;
    rmSync(dir, { recursive: true, force: true });
  },
});

test("on the first start the sign-in page names the owner account whose password the terminal printed, until it signs in", async ({
  page,
  firstStart,
}) => {
  const password = /Password:\s+(\S+)/.exec(firstStart.output())?.[1];
  expect(password, firstStart.output()).toBeTruthy();

  await page.goto(`${firstStart.base}/signin`);
  const note = page.getByRole("note");
  await expect(note).toHaveText(
    "First start: sign in as admin@example.com with the password printed in the terminal where KronosCRM started.",
  );
  await expect(note).not.toContainText(password!);
  // The e-mail is filled in: the password from the terminal is all it takes.
  await expect(page.getByLabel("E-mail")).toHaveValue("admin@example.com");
  await page.getByLabel("Password").fill(password!);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("navigation", { name: "Main" })).toBeVisible();

  // Once anyone has signed in, the API names no account, and a browser that never signed in sees no hint.
  const hint = await (await page.request.get(`${firstStart.base}/api/v1/auth/first-sign-in`)).json();
  expect(hint).toEqual({ email: null, password_printed: false });
  const fresh = await page.context().browser()!.newContext();
  const other = await fresh.newPage();
  const answered = other.waitForResponse((r) => r.url().endsWith("/api/v1/auth/first-sign-in"));
  await other.goto(`${firstStart.base}/signin`);
  expect(await (await answered).json()).toEqual({ email: null, password_printed: false });
  await expect(other.getByRole("button", { name: "Sign in" })).toBeVisible();
  await expect(other.getByLabel("E-mail")).toHaveValue("");
  await expect(other.getByRole("note")).toHaveCount(0);
  await fresh.close();
});
