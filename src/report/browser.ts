// The system Chromium, driven by puppeteer-core: found once, launched with a throw-away profile, always closed.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import puppeteer, { type Browser } from 'puppeteer-core';
import { log } from '../log.ts';
import { which } from '../proc.ts';

/** Chromium's path: $ISOBENCH_CHROMIUM if set, else chromium (Debian) or chromium-browser on PATH; null if none. */
export function findChromium(): string | null {
  const wanted = process.env.ISOBENCH_CHROMIUM;
  if (wanted) return which(wanted);
  return which('chromium') ?? which('chromium-browser');
}

export function chromiumOrThrow(): string {
  const found = findChromium();
  if (found) return found;
  const wanted = process.env.ISOBENCH_CHROMIUM;
  throw new Error(wanted
    ? `ISOBENCH_CHROMIUM=${wanted}: not an executable; point it at a Chromium binary or unset it`
    : 'chromium not found on PATH; install it (apt-get install chromium) or set ISOBENCH_CHROMIUM to a Chromium binary');
}

const LAUNCH_TIMEOUT_MS = 30_000;

/** Runs fn with a fresh headless Chromium; the browser and its temporary profile are removed whatever happens. */
export async function withBrowser<T>(fn: (browser: Browser) => Promise<T>): Promise<T> {
  const executablePath = chromiumOrThrow();
  const profile = mkdtempSync(path.join(os.tmpdir(), 'isobench-chromium-'));
  let browser: Browser | undefined;
  try {
    browser = await puppeteer.launch({
      executablePath,
      ignoreDefaultArgs: true, // exactly these flags, nothing that phones home
      pipe: true, // DevTools over a pipe: no debugging port on the host
      timeout: LAUNCH_TIMEOUT_MS,
      protocolTimeout: 60_000,
      args: [
        '--headless',
        '--no-sandbox', // root in a VM/container: the setuid sandbox is unavailable
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--no-default-browser-check',
        '--disable-dev-shm-usage', // small /dev/shm in containers crashes renderers
        '--font-render-hinting=none', // same glyph metrics on every machine, for stable PDFs
        '--hide-scrollbars',
        '--mute-audio',
        `--user-data-dir=${profile}`,
      ],
    });
    return await fn(browser);
  } finally {
    if (browser) await closeBrowser(browser);
    rmSync(profile, { recursive: true, force: true });
  }
}

async function closeBrowser(browser: Browser): Promise<void> {
  const child = browser.process();
  try {
    await Promise.race([
      browser.close(),
      new Promise((_, reject) => setTimeout(() => reject(new Error('close timed out')), 10_000).unref()),
    ]);
  } catch (e) {
    log.warn(`chromium did not close cleanly (${(e as Error).message}); killing it`);
    if (child?.pid && child.exitCode === null) child.kill('SIGKILL');
  }
}
