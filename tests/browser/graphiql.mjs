// Usage: node graphiql.mjs URL QUERY
// Opens URL (a Varde server's root) in Debian's headless Chromium with every request that leaves
// the server's origin aborted and recorded, types QUERY into GraphiQL's editor, runs it and waits
// for the answer, then opens the documentation explorer and the settings dialog. Prints one JSON
// document on stdout:
//   {"url", "result", "rootTypes", "dialog", "outsideRequests", "failedRequests", "cspViolations",
//    "pageErrors", "inlineScriptRefused", "step", "error"}
// "url": where the browser ended up; "result": the text the result pane shows; "rootTypes": what
// the documentation explorer lists under Root Types (so the schema loaded); "dialog": the settings
// dialog's title; "inlineScriptRefused": the browser enforces the page's CSP (an inline script
// injected at the end was refused and reported). "error" is null unless the run failed, at "step".
// Exits 0 when it printed a report, 2 on bad usage.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const CHROMIUM = '/usr/bin/chromium';
const [url, query] = process.argv.slice(2);
if (!url || !query || process.argv.length > 4) {
  console.error('usage: node graphiql.mjs URL QUERY');
  process.exit(2);
}
const { origin, hostname } = new URL(url);

const report = {
  url: null,
  result: null,
  outsideRequests: [],
  failedRequests: [],
  cspViolations: [],
  pageErrors: [],
  inlineScriptRefused: false,
  rootTypes: null,
  dialog: null,
  step: 'launch',
  error: null,
};

const profile = mkdtempSync(join(tmpdir(), 'varde-chromium-'));
let context;
try {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: run bash .ci/run as root, or apt-get install chromium`);
  }
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    timeout: 15_000,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      // No host but the server's resolves, so nothing else is reachable even for requests the
      // interception below does not see (the browser's own).
      `--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE ${hostname}`,
    ],
  });
  // Only the server's origin is reachable; anything else is recorded and cut off.
  await context.route('**/*', (route) => {
    const request = route.request();
    if (new URL(request.url()).origin === origin) return route.continue();
    report.outsideRequests.push(`${request.method()} ${request.url()}`);
    return route.abort('blockedbyclient');
  });
  // Registered before any page script runs; CSP does not apply to scripts the browser injects.
  await context.addInitScript(() => {
    window.__cspViolations = [];
    document.addEventListener('securitypolicyviolation', (event) => {
      window.__cspViolations.push(`${event.effectiveDirective} refused ${event.blockedURI || 'inline'}`);
    });
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(15_000);
  page.on('pageerror', (error) => report.pageErrors.push(String(error)));
  page.on('response', (response) => {
    if (response.status() >= 400) report.failedRequests.push(`${response.status()} ${response.url()}`);
  });
  page.on('requestfailed', (request) => {
    if (new URL(request.url()).origin === origin) {
      report.failedRequests.push(`${request.failure()?.errorText} ${request.url()}`);
    }
  });

  report.step = 'open';
  await page.goto(url);
  report.url = page.url();
  report.step = 'query';
  const editor = page.locator('.graphiql-query-editor .CodeMirror');
  await editor.click();
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.press('Delete');
  // As one input event, like a paste: typed key by key, GraphiQL would close brackets itself.
  await page.keyboard.insertText(query);
  await page.locator('.graphiql-execute-button').click();
  const resultPane = page.locator('.graphiql-response .result-window');
  await resultPane.locator('.CodeMirror-code', { hasText: '"data"' }).waitFor();
  // CodeMirror shows spaces as no-break spaces.
  report.result = (await resultPane.locator('.CodeMirror-code').innerText()).replaceAll('\u00a0', ' ');

  report.step = 'docs';
  await page.locator('button[aria-label="Show Documentation Explorer"]').click();
  const rootTypes = page
    .locator('.graphiql-doc-explorer-content > div')
    .filter({ has: page.locator('.graphiql-doc-explorer-section-title', { hasText: 'Root Types' }) })
    .locator('.graphiql-doc-explorer-section-content');
  report.rootTypes = await rootTypes.innerText();

  // Dialogs add a <style> element of their own: the page's style nonce must let it in.
  report.step = 'dialog';
  await page.locator('button[aria-label="Open settings dialog"]').click();
  report.dialog = await page.getByRole('dialog').locator('.graphiql-dialog-title').innerText();
  await page.keyboard.press('Escape');

  report.step = 'csp';
  report.cspViolations = await page.evaluate(() => [...window.__cspViolations]);
  // The canary: an inline script must be refused, and reported like any violation.
  report.inlineScriptRefused = await page.evaluate(async () => {
    const before = window.__cspViolations.length;
    const script = document.createElement('script');
    script.textContent = 'window.__inlineScriptRan = true';
    document.head.append(script);
    await new Promise((resolve) => setTimeout(resolve, 200));
    return window.__inlineScriptRan !== true && window.__cspViolations.length > before;
  });
  report.step = 'done';
} catch (error) {
  report.error = String(error?.message ?? error);
} finally {
  await context?.close().catch(() => {});
  rmSync(profile, { recursive: true, force: true });
}
process.stdout.write(JSON.stringify(report) + '\n');
