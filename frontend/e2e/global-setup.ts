/**
 * Starts `kronos serve` on a free port with a fresh SQLite database in a temp dir, waits for /readyz, and
 * passes the address (and the log file, where development-mode mail lands) to the tests via the environment.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, openSync, rmSync, existsSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

// E2E_OWNER_EMAIL / E2E_OWNER_PASSWORD: the owner of a server given by E2E_BASE (see below).
export const OWNER_EMAIL = process.env.E2E_OWNER_EMAIL ?? "owner@e2e.example";
export const OWNER_PASSWORD = process.env.E2E_OWNER_PASSWORD ?? "Owner-e2e-Passw0rd!";

export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? done(address.port) : fail(new Error("no port"))));
    });
  });
}

export default async function globalSetup(): Promise<() => Promise<void>> {
  // E2E_BASE: drive a server that is already running (e.g. `npm run perf` against a million-contact
  // PostgreSQL workspace) instead of starting one.
  if (process.env.E2E_BASE) {
    process.env.KRONOS_E2E_BASE = process.env.E2E_BASE;
    return async () => {};
  }
  const repo = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
  // E2E_DIST: serve another build folder (e.g. `npx vite build --outDir dist-board`), so that several
  // checkouts' worth of work can build and run end-to-end tests side by side.
  const dist = process.env.E2E_DIST ? resolve(process.env.E2E_DIST) : join(repo, "frontend", "dist");
  if (!existsSync(join(dist, "index.html"))) {
    throw new Error(`${dist} is missing: run \`npm run build\` (or \`make test\`) before the e2e tests`);
  }
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "kronos-e2e-"));
  const log = join(dir, "server.log");
  const out = openSync(log, "a");
  const venv = join(repo, ".venv", "bin", "kronos");
  const command = existsSync(venv) ? venv : "kronos";
  const child = spawn(command, ["serve"], {
    cwd: repo,
    env: {
      ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("KRONOS_"))),
      KRONOS_ENV: "development", // mail (invitation links) is written to the log in development
      KRONOS_DATA_DIR: dir,
      KRONOS_WEB_DIST: dist,
      KRONOS_DATABASE_URL: `sqlite+aiosqlite:///${join(dir, "kronos.db")}`,
      KRONOS_HOST: "127.0.0.1",
      KRONOS_PORT: String(port),
      KRONOS_ADMIN_EMAIL: OWNER_EMAIL,
      KRONOS_ADMIN_PASSWORD: OWNER_PASSWORD,
      KRONOS_LOG_FORMAT: "json",
      KRONOS_LOGIN_FAILURE_DELAY: "0",
      // Every test signs up from 127.0.0.1: a run makes 8 sign-up attempts (auth.spec 6, settings.spec 2), and
      // a CI retry repeats a test's, so the default (10 an hour from one address) would refuse some.
      KRONOS_SIGNUP_MAX_PER_IP: "1000",
      // All the specs sign in as the one owner, in parallel workers: together they send far more requests a
      // minute than a person (the API's limit is per user). The limit itself is tested in pytest.
      KRONOS_API_RATE_LIMIT: "100000",
    },
    stdio: ["ignore", out, out],
  });
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`kronos serve exited with ${child.exitCode}; see ${log}`);
    try {
      if ((await fetch(`${base}/readyz`)).ok) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) throw new Error(`kronos serve did not become ready; see ${log}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  // One sign-in through the API ends the first-start hint (the sign-in page fills in the owner's e-mail until
  // anyone signs in): a hint arriving while a spec types the e-mail would run the two together.
  // e2e/first-start.spec.ts checks the hint on a server of its own.
  const signedIn = await fetch(`${base}/api/v1/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email: OWNER_EMAIL, password: OWNER_PASSWORD }),
  });
  if (!signedIn.ok) throw new Error(`the owner could not sign in (${signedIn.status}); see ${log}`);
  process.env.KRONOS_E2E_BASE = base;
  process.env.KRONOS_E2E_LOG = log;
  return async () => {
    child.kill("SIGINT");
    await new Promise((r) => setTimeout(r, 1500));
    if (child.exitCode === null) child.kill("SIGKILL");
    if (!process.env.KRONOS_E2E_KEEP) rmSync(dir, { recursive: true, force: true });
  };
}
