/**
 * Galata (Playwright) configuration of the jupyter-easymaker UI tests.
 *
 * Debian's chromium (/usr/bin/chromium, or CHROMIUM_PATH) drives the tests;
 * no Playwright browser is downloaded (PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1)
 * and video and traces are off (no ffmpeg). The Jupyter server is started
 * by `webServer` with jupyter_server_test_config.py, behind a non-default
 * base_url. Screenshots go to test-artifacts/ui/ at the repository root
 * (EASYMAKER_UI_ARTIFACTS overrides).
 */
import * as path from 'path';

import { defineConfig } from '@playwright/test';

const baseConfig = require('@jupyterlab/galata/lib/playwright-config');

const port = Number(process.env.EASYMAKER_UI_PORT ?? 8899);
const basePath = process.env.EASYMAKER_UI_BASE_URL ?? '/easymaker-ui/';
const baseURL = `http://127.0.0.1:${port}${basePath.replace(/\/$/, '')}`;
const jupyter = process.env.EASYMAKER_JUPYTER ?? 'jupyter';

export default defineConfig({
  ...baseConfig,
  testDir: './tests',
  outputDir: path.resolve(__dirname, '../../test-artifacts/ui/playwright'),
  timeout: 90_000,
  expect: { timeout: 20_000 },
  retries: 0,
  workers: 1,
  fullyParallel: false,
  reporter: [['list']],
  use: {
    ...baseConfig.use,
    baseURL,
    video: 'off',
    trace: 'off',
    screenshot: 'only-on-failure',
    viewport: { width: 1400, height: 900 },
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync'
      ]
    }
  },
  projects: [
    { name: 'ui', testIgnore: /figures\.spec\.ts/ },
    { name: 'figures', testMatch: /figures\.spec\.ts/, dependencies: ['ui'] }
  ],
  webServer: {
    command: `${jupyter} lab --config jupyter_server_test_config.py`,
    url: `${baseURL}/lab`,
    timeout: 120_000,
    reuseExistingServer: false,
    // a Jupyter server that is stopped, not killed, ends its work (and runs its exit handlers)
    gracefulShutdown: { signal: 'SIGTERM', timeout: 15_000 },
    stdout: 'pipe',
    stderr: 'pipe'
  }
});
