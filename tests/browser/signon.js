#!/usr/bin/env node
// The OpenID Connect sign-on journey in Debian's Chromium (issue 18): the
// council's single sign-on in front of the module, for real.
//
//   node signon.js CONFIG.json RESULT.json
//
// CONFIG (written by test_signon_browser.py):
//   {base, login, concern: {name, reference, summary} | null}
// The module's page sends Chromium to the provider's sign-in page; the
// journey types the username and signs in there, and comes back.  Then: the
// home page says who is signed in, api/me (asked by the browser, with the
// same sign-on) gives the canonical id and roles, and with a concern the
// concern form is filled and sent, ending on the case page's banner.
// With CONFIG.kerberos {env, allowlist} the sign-on is Kerberos instead:
// Chromium runs with the user's ticket cache (env: KRB5_CONFIG, KRB5CCNAME)
// and --auth-server-allowlist, and answers httpd's Negotiate challenge
// itself.  Debian's Chromium 156 refuses the first challenge after it starts
// (it loads its GSSAPI library then: 401) and answers every later one, so the
// journey asks once more and records both answers.
// RESULT: {steps: [{what, url, ...}], me, signed_in_as, banner, error}.
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const { chromium } = require('playwright-core');
const { CHROMIUM, CHROMIUM_ARGS } = require('./axe_check');

async function group(page, name) {
  return page.getByRole('group', { name, exact: true });
}

async function raiseConcern(page, base, c, out) {
  await page.goto(`${base}/concerns/new`, { waitUntil: 'load' });
  out.steps.push({ what: 'concern form', url: page.url(), title: await page.title() });
  await (await group(page, 'Is this about any of these?')).getByLabel('None of these', { exact: true }).check();
  await page.getByLabel("Customer's full name", { exact: true }).fill(c.name);
  await page.getByLabel("Customer's council reference", { exact: true }).fill(c.reference);
  await page.getByLabel('Your department', { exact: true }).fill('Revenues and Benefits');
  await page.getByLabel('What has happened', { exact: true }).fill(c.summary);
  await (await group(page, "Which of these describe the customer's contact?"))
    .getByLabel('Has an excessive number of contacts with the council, placing unreasonable demands on staff', { exact: true })
    .check();
  await page.getByLabel('Reasonable measures already taken', { exact: true }).fill('A named officer offered as single point of contact.');
  await (await group(page, 'Where is the customer in the complaints procedure?')).getByLabel('Exhausted', { exact: true }).check();
  await (await group(page, 'Do you think the customer may be vulnerable?')).getByLabel('No', { exact: true }).check();
  await Promise.all([
    page.waitForURL(/\/cases\/\d+/, { timeout: 20000 }),
    page.getByRole('button', { name: 'Raise the concern', exact: true }).click(),
  ]);
  await page.waitForLoadState('load');
  const banner = page.locator('.govuk-notification-banner--success .govuk-notification-banner__heading');
  out.banner = (await banner.count()) ? (await banner.first().textContent()).trim() : null;
  out.steps.push({ what: 'case page', url: page.url() });
}

async function signInAtProvider(page, cfg, out) {
  const first = await page.goto(`${cfg.base}/`, { waitUntil: 'load', timeout: 30000 });
  out.steps.push({ what: 'first page', url: page.url(), status: first && first.status() });
  await page.getByLabel('Username', { exact: true }).fill(cfg.login);
  await Promise.all([
    page.waitForURL((u) => u.toString().startsWith(cfg.base), { timeout: 30000 }),
    page.getByRole('button', { name: 'Sign in', exact: true }).click(),
  ]);
  await page.waitForLoadState('load');
  out.steps.push({ what: 'back from the provider', url: page.url() });
}

async function signInByNegotiate(page, cfg, out) {
  let answer = await page.goto(`${cfg.base}/`, { waitUntil: 'load', timeout: 30000 });
  out.steps.push({ what: 'first page', url: page.url(), status: answer && answer.status() });
  if (answer && answer.status() === 401) {
    answer = await page.goto(`${cfg.base}/`, { waitUntil: 'load', timeout: 30000 });
    out.steps.push({ what: 'asked again', url: page.url(), status: answer && answer.status() });
  }
}

async function main() {
  const cfg = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
  const out = { steps: [], me: null, signed_in_as: null, banner: null, error: null };
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'habitual-signon-'));
  let context = null;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: cfg.kerberos ? [...CHROMIUM_ARGS, `--auth-server-allowlist=${cfg.kerberos.allowlist}`] : CHROMIUM_ARGS,
      env: cfg.kerberos ? { ...process.env, ...cfg.kerberos.env } : undefined,
      locale: 'en-GB',
      timezoneId: 'Europe/London',
    });
    const page = await context.newPage();
    if (cfg.kerberos) await signInByNegotiate(page, cfg, out);
    else await signInAtProvider(page, cfg, out);
    const who = page.locator('text=/^Signed in as /');
    out.signed_in_as = (await who.count()) ? (await who.first().textContent()).trim() : null;
    // api/me as the browser asks for it, with the same sign-on (the pages'
    // Content-Security-Policy lets no script fetch it)
    const api = await context.newPage();
    const me = await api.goto(`${cfg.base}/api/me`, { waitUntil: 'load' });
    out.me = { status: me.status(), body: await me.json().catch(() => null) };
    await api.close();
    if (cfg.concern) await raiseConcern(page, cfg.base, cfg.concern, out);
  } catch (e) {
    out.error = String(e && e.stack || e);
  } finally {
    if (context) await context.close().catch(() => {});
    fs.rmSync(profile, { recursive: true, force: true });
  }
  fs.writeFileSync(process.argv[3], JSON.stringify(out, null, 2));
}

main().catch((e) => {
  console.error(e);
  process.exit(2);
});
