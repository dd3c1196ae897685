#!/usr/bin/env node
// axe-core check of one page in Debian's Chromium, driven by playwright-core.
//
//   node axe_check.js URL [--screenshot FILE.png] [--no-js] [--print] [--status CODE]
//                         [--width PX] [--user NAME:PASSWORD] [--timeout MS]
//
// Opens URL (http(s):// or file://) in headless /usr/bin/chromium (CHROMIUM overrides),
// runs axe-core with the WCAG 2.0/2.1/2.2 A and AA rules, prints every violation and
// exits 1 if there is any, or if the page broke its Content-Security-Policy, logged a
// console error, failed to load a sub-resource, or answered another HTTP status than
// --status (default: any below 400). Exit 2: could not run (usage, browser, navigation).
//
// The page's CSP stays on (no bypassCSP): axe is injected with page.evaluate, which
// the DevTools protocol runs outside the page's CSP, so a page that obeys
// "script-src 'self'" can still be checked, and any inline script or style the page
// itself carries is reported as a CSP violation.
//
// --no-js     JavaScript off while the page loads (so none of its scripts run); axe
//             runs after the load, with JavaScript back on
// --print     emulate print media (the letter stylesheet) for the check and screenshot
// --user      HTTP basic auth, as the rig's single sign-on stand-in
// --status    the page's expected HTTP status, e.g. 404 to check an error page
//
// Also usable as a module by journey tests: see the exports at the end.
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const { chromium } = require('playwright-core');

const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];
const AXE_SOURCE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

// Start Chromium with a throw-away profile. Returns { context, close }.
async function launch({ javaScriptEnabled = true, width = 1280, user = null } = {}) {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} not found: apt-get install -y --no-install-recommends chromium`);
  }
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'habitual-chromium-'));
  let context;
  try {
    const options = {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      javaScriptEnabled,
      viewport: { width, height: 900 },
      locale: 'en-GB',
      timezoneId: 'Europe/London',
    };
    if (user) {
      const i = user.indexOf(':');
      options.httpCredentials = { username: user.slice(0, i), password: user.slice(i + 1) };
    }
    context = await chromium.launchPersistentContext(profile, options);
  } catch (e) {
    fs.rmSync(profile, { recursive: true, force: true });
    throw e;
  }
  return {
    context,
    async close() {
      await context.close().catch(() => {});
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

// Listen for what a clean page never does. Call before page.goto. Returns the list
// it fills: strings, one per problem.
function watchPage(page) {
  const problems = [];
  const documents = new Set(); // URLs of the documents navigated to
  const bare = (url) => url.replace(/#.*$/, '');
  page.on('request', (req) => {
    if (req.isNavigationRequest()) documents.add(bare(req.url()));
  });
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const where = (msg.location() && msg.location().url) || '';
    // Chromium asks for /favicon.ico when a page names no icon: not the page's fault.
    if (/\/favicon\.ico$/.test(where)) return;
    // Chromium also logs the document's own 4xx/5xx status as "Failed to load
    // resource": an error page's status is the caller's to judge (--status).
    if (documents.has(bare(where)) && /^Failed to load resource: the server responded with a status of \d+/.test(msg.text())) return;
    problems.push(`console error: ${msg.text()}${where ? ` (${where})` : ''}`);
  });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  // The page's own status is the caller's to judge (error pages are checked too);
  // sub-resources must all load.
  page.on('requestfailed', (req) => {
    problems.push(`request failed: ${req.url()} (${req.failure() && req.failure().errorText})`);
  });
  page.on('response', (res) => {
    if (res.status() >= 400 && !res.request().isNavigationRequest() &&
        !/\/favicon\.ico$/.test(res.url())) {
      problems.push(`HTTP ${res.status()}: ${res.url()}`);
    }
  });
  // CSP violations are also console errors in Chromium; this names the directive.
  page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || 'inline'} ` +
                    `at ${e.sourceFile || ''}:${e.lineNumber || ''}`);
    });
  });
  return problems;
}

// Run axe-core on the page as it stands. Returns axe's results (violations, incomplete, …).
async function runAxe(page, tags = AXE_TAGS) {
  const loaded = await page.evaluate(() => typeof window.axe === 'object').catch(() => false);
  if (!loaded) await page.evaluate(AXE_SOURCE);
  return page.evaluate(async (values) => {
    // eslint-disable-next-line no-undef
    return axe.run(document, {
      runOnly: { type: 'tag', values },
      resultTypes: ['violations', 'incomplete'],
    });
  }, tags);
}

function formatViolations(violations) {
  const lines = [];
  for (const v of violations) {
    lines.push(`[${v.impact}] ${v.id}: ${v.help} (${v.tags.filter((t) => t.startsWith('wcag')).join(', ')})`);
    lines.push(`    ${v.helpUrl}`);
    for (const node of v.nodes) {
      lines.push(`    at ${node.target.join(' ')}`);
      lines.push(`       ${node.html.slice(0, 200)}`);
      if (node.failureSummary) lines.push(`       ${node.failureSummary.replace(/\n/g, '\n       ')}`);
    }
  }
  return lines.join('\n');
}

function usage(msg) {
  if (msg) console.error(`axe_check: ${msg}`);
  console.error('usage: node axe_check.js URL [--screenshot FILE.png] [--no-js] [--print] [--status CODE] ' +
                '[--width PX] [--user NAME:PASSWORD] [--timeout MS]');
  process.exit(2);
}

function parseArgs(argv) {
  const opts = {
    url: null, screenshot: null, js: true, print: false, status: null, width: 1280, user: null, timeout: 30000,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => (i + 1 < argv.length ? argv[++i] : usage(`${a} needs a value`));
    if (a === '--screenshot') opts.screenshot = value();
    else if (a === '--no-js') opts.js = false;
    else if (a === '--print') opts.print = true;
    else if (a === '--status') opts.status = Number(value());
    else if (a === '--width') opts.width = Number(value());
    else if (a === '--user') opts.user = value();
    else if (a === '--timeout') opts.timeout = Number(value());
    else if (a === '-h' || a === '--help') usage();
    else if (a.startsWith('-')) usage(`unknown option ${a}`);
    else if (opts.url) usage('one URL only');
    else opts.url = a;
  }
  if (!opts.url) usage('no URL');
  if (!/^(https?|file):/.test(opts.url)) {
    // A bare path: make it a file:// URL.
    opts.url = 'file://' + path.resolve(opts.url);
  }
  if (opts.user && !opts.user.includes(':')) usage('--user wants NAME:PASSWORD');
  return opts;
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  let browser;
  try {
    browser = await launch({ width: opts.width, user: opts.user });
  } catch (e) {
    console.error(`axe_check: cannot start Chromium: ${e.message}`);
    process.exit(2);
  }
  let failed = false;
  try {
    const page = browser.context.pages()[0] || await browser.context.newPage();
    page.setDefaultTimeout(opts.timeout);
    const problems = watchPage(page);
    if (opts.print) await page.emulateMedia({ media: 'print' });
    // JavaScript off while the page loads, as for a user without it; back on once it
    // has loaded, since axe-core needs timers, which do not fire with scripts
    // disabled (Playwright's javaScriptEnabled: false makes axe.run hang). The
    // page's own scripts were skipped during parsing and do not run later.
    const cdp = opts.js ? null : await browser.context.newCDPSession(page);
    if (cdp) await cdp.send('Emulation.setScriptExecutionDisabled', { value: true });
    let response;
    try {
      response = await page.goto(opts.url, { waitUntil: 'load', timeout: opts.timeout });
    } catch (e) {
      console.error(`axe_check: cannot open ${opts.url}: ${e.message}`);
      process.exitCode = 2;
      return;
    }
    if (cdp) await cdp.send('Emulation.setScriptExecutionDisabled', { value: false });
    const status = response ? response.status() : null; // null for file://
    const title = await page.title();
    const bodyClass = await page.evaluate(() => document.body.className);

    const results = await runAxe(page);
    if (opts.screenshot) {
      fs.mkdirSync(path.dirname(path.resolve(opts.screenshot)), { recursive: true });
      await page.screenshot({ path: opts.screenshot, fullPage: true });
    }

    if (status !== null && (opts.status === null ? status >= 400 : status !== opts.status)) {
      problems.push(`page answered ${status}, expected ${opts.status === null ? 'below 400' : opts.status}`);
    }
    console.log(`page: ${opts.url}`);
    console.log(`title: ${title}`);
    console.log(`status: ${status === null ? '(file)' : status}; javascript: ${opts.js ? 'on' : 'off'}; ` +
                `media: ${opts.print ? 'print' : 'screen'}; body class: "${bodyClass}"`);
    console.log(`axe-core ${results.testEngine.version}, tags ${AXE_TAGS.join(' ')}`);
    if (results.violations.length) {
      console.log(formatViolations(results.violations));
      failed = true;
    }
    const nodes = results.violations.reduce((n, v) => n + v.nodes.length, 0);
    console.log(`violations: ${results.violations.length} rules, ${nodes} elements`);
    if (results.incomplete.length) {
      console.log(`needs review (not failures): ${results.incomplete.map((v) => `${v.id} (${v.nodes.length})`).join(', ')}`);
    }
    if (problems.length && opts.url.startsWith('file:')) {
      // From file:// Chromium refuses module scripts and axe's reads of stylesheets
      // (origin "null"): expected there, so noted, not counted. Serve the files
      // (serve_static.js, check_mocks.sh) for the real check, CSP included.
      console.log(problems.map((p) => `note (file://, not counted): ${p}`).join('\n'));
      problems.length = 0;
    }
    if (problems.length) {
      console.log(problems.map((p) => `problem: ${p}`).join('\n'));
      failed = true;
    }
    console.log(`problems: ${problems.length}`);
    if (opts.screenshot) console.log(`screenshot: ${path.resolve(opts.screenshot)}`);
    if (failed) process.exitCode = 1;
  } finally {
    await browser.close();
  }
}

module.exports = { AXE_TAGS, CHROMIUM, CHROMIUM_ARGS, launch, watchPage, runAxe, formatViolations };

if (require.main === module) {
  main().catch((e) => {
    console.error(`axe_check: ${e.stack || e}`);
    process.exit(2);
  });
}
