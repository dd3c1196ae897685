// The harness the journeys (journeys.js) run on: one headless Debian Chromium, one
// browser context per signed-in user (HTTP basic auth, the rig's single sign-on
// stand-in), and on every page visited: axe-core (WCAG 2.0/2.1/2.2 A and AA, as
// axe_check.js), the page's own health (console errors, CSP violations, failed
// sub-resources: axe_check.js's watchPage), a few structural checks axe cannot make
// (dangling ARIA id references, one <h1>, the council's name, no GOV.UK branding)
// and a full-page screenshot in screenshots/.
//
// Problems are recorded, not thrown, so one run lists every one of them: each is
// { scenario, kind, page, detail, ... } (kind: axe, status, problem, idref,
// error-summary, assert, ...). A journey step that cannot go on (a link or field
// missing) throws; the scenario records it as kind "aborted". The results go to the
// JSON file the caller names, for test_browser.py to judge.
'use strict';

const fs = require('fs');
const path = require('path');
const { chromium } = require('playwright-core');
const { AXE_TAGS, CHROMIUM, CHROMIUM_ARGS, watchPage, runAxe, formatViolations } = require('./axe_check');

const SHOTS = path.join(__dirname, 'screenshots');
const PASSWORD = 'password';
const WIDTH = 1024;

// The procedure's steps as pages: cases/{id}/<slug> (mod_habitual/core/web/pages_case.c).
const STEP_SLUGS = ['contacts', 'warning', 'close', 'report', 'decision', 'review', 'review-decision', 'appeal',
  'appeal-decision', 'grants', 'statements', 'hold', 'interim-lift', 'person', 'corrections', 'copies', 'adjustments',
  'correspondence', 'triage', 'evidence'];

// Words of the machinery that have no place in a message to council staff: JSON
// keys and literals, dotted field paths, ISO date patterns.
const JARGON = /"[a-z_]+"\s*:|\b[a-z]+\.[a-z_]+\b|YYYY-MM-DD|\b(true|false|null)\b|\b[a-z]+_[a-z_]+\b|^[a-z_.]+ is required\.?$/;

function slug(s) {
  return String(s).toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 80);
}

// "cases/12/warning?done=1" -> "cases/{id}/warning": the page a URL is, for coverage.
function routeOf(base, url) {
  const u = new URL(url);
  const mount = new URL(base).pathname.replace(/\/$/, '');
  let p = u.pathname.startsWith(mount) ? u.pathname.slice(mount.length) : u.pathname;
  p = p.replace(/^\//, '')
    .replace(/^cases\/\d+/, 'cases/{id}')
    .replace(/letters\/\d+$/, 'letters/{n}')
    .replace(/grants\/[^/]+\/revoke$/, 'grants/{user}/revoke')
    .replace(/^cases\/\{id\}\/([^/]+)$/, (m, step) => (STEP_SLUGS.includes(step) ? m : 'cases/{id}/{step}'));
  return p === '' ? '(home)' : p;
}

class Run {
  constructor(cfg, scenario) {
    this.cfg = cfg;
    this.scenario = scenario;
    this.failures = [];
    this.passes = 0;
    this.shots = [];
    this.pages = [];
    this.coverage = new Set();
    this.seen = new Set();
    this.sessions = [];
    this.counter = 0;
    this.notes = [];
    this.t0 = Date.now();
  }

  async start() {
    fs.mkdirSync(SHOTS, { recursive: true });
    for (const f of fs.readdirSync(SHOTS)) {
      if (f.startsWith(`${this.scenario}-`) && /^-(\d{3}|readme)-.*\.png$/.test(f.slice(this.scenario.length))) {
        fs.rmSync(path.join(SHOTS, f));
      }
    }
    if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: apt-get install chromium`);
    this.browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
    return this;
  }

  url(p) {
    return `${this.cfg.base}/${p.replace(/^\//, '')}`;
  }

  // A browser context signed in as user. js: false loads every page with scripts
  // disabled (see Session.navigate).
  async as(user, { js = true, width = WIDTH } = {}) {
    const context = await this.browser.newContext({
      httpCredentials: { username: user, password: PASSWORD },
      viewport: { width, height: 800 },
      locale: 'en-GB',
      timezoneId: 'Europe/London',
      javaScriptEnabled: true,
    });
    const page = await context.newPage();
    page.setDefaultTimeout(15000);
    const session = new Session(this, user, context, page, js);
    session.problems = watchPage(page);
    if (!js) session.cdp = await context.newCDPSession(page);
    this.sessions.push(session);
    return session;
  }

  fail(kind, page, detail, extra = {}) {
    this.failures.push({ scenario: this.scenario, kind, page, detail, ...extra });
    console.log(`FAIL [${kind}] ${page}: ${detail}`);
  }

  check(ok, kind, page, detail, extra) {
    if (ok) this.passes++;
    else this.fail(kind, page, detail, extra);
    return !!ok;
  }

  note(text) {
    this.notes.push(text);
    console.log(`note: ${text}`);
  }

  async finish(resultsFile) {
    for (const s of this.sessions) await s.context.close().catch(() => {});
    if (this.browser) await this.browser.close().catch(() => {});
    const out = {
      scenario: this.scenario, passes: this.passes, failures: this.failures, pages: this.pages,
      screenshots: this.shots, coverage: [...this.coverage].sort(), notes: this.notes,
      seconds: Math.round((Date.now() - this.t0) / 1000),
    };
    if (resultsFile) fs.writeFileSync(resultsFile, JSON.stringify(out, null, 2));
    console.log(`${this.scenario}: ${this.pages.length} pages checked with axe-core ${AXE_TAGS.join(' ')}, ` +
                `${this.passes} checks passed, ${this.failures.length} failed, ${this.shots.length} screenshots`);
    return out;
  }
}

class Session {
  constructor(run, user, context, page, js) {
    this.run = run;
    this.user = user;
    this.context = context;
    this.page = page;
    this.js = js;
    this.problems = [];
    this.cdp = null;
    this.lastResponse = null;
  }

  label(l) {
    return `${this.user}${this.js ? '' : ' (no JS)'}: ${l}`;
  }

  // Run action (a click, a key press, a goto), wait for the document it leads to,
  // and return its response. Without JavaScript the page loads with scripts disabled
  // (Emulation.setScriptExecutionDisabled, as Playwright's javaScriptEnabled: false
  // does), then scripts are allowed again only so axe-core can run: the page's own
  // scripts were skipped while it was parsed and never run.
  async navigate(action) {
    if (this.cdp) await this.cdp.send('Emulation.setScriptExecutionDisabled', { value: true });
    const [response] = await Promise.all([
      this.page.waitForNavigation({ waitUntil: 'load', timeout: 20000 }),
      action(),
    ]);
    if (this.cdp) await this.cdp.send('Emulation.setScriptExecutionDisabled', { value: false });
    this.lastResponse = response;
    return response;
  }

  // Open a path below the mount (or a full URL) as if typed in the address bar.
  async open(p, label, opts = {}) {
    const url = /^https?:/.test(p) ? p : this.run.url(p);
    if (this.cdp) await this.cdp.send('Emulation.setScriptExecutionDisabled', { value: true });
    const response = await this.page.goto(url, { waitUntil: 'load', timeout: 20000 });
    if (this.cdp) await this.cdp.send('Emulation.setScriptExecutionDisabled', { value: false });
    this.lastResponse = response;
    await this.arrived(response, label, opts);
    return response;
  }

  // Click something that leads to another page.
  async follow(locator, label, opts = {}) {
    const response = await this.navigate(() => locator.click());
    await this.arrived(response, label, opts);
    return response;
  }

  // Press a key on whatever has focus (Enter on a link or a submit button).
  async press(key, label, opts = {}) {
    const response = await this.navigate(() => this.page.keyboard.press(key));
    await this.arrived(response, label, opts);
    return response;
  }

  // The checks on a page just reached. opts.status: the expected final status
  // (default 200); opts.redirect: the request before it must have been a POST
  // answered 303 (post-redirect-get); opts.axe false skips axe (never used for pages
  // of the service: only for re-visits).
  async arrived(response, label, { status = 200, redirect = false, axe = true } = {}) {
    const page = this.label(label);
    const got = response ? response.status() : null;
    this.run.check(got === status, 'status', page, `expected HTTP ${status}, got ${got} at ${this.page.url()}`);
    if (redirect) {
      const before = response && response.request().redirectedFrom();
      const first = before && await before.response();
      this.run.check(before && before.method() === 'POST' && first && first.status() === 303, 'status', page,
        `expected a POST answered 303 (post-redirect-get), got ${before ? `${before.method()} ${first && first.status()}` : 'no redirect'}`);
    }
    const method = response ? response.request().method() : 'GET';
    const u = new URL(this.page.url());
    const done = u.searchParams.get('done');
    const key = `${method} ${routeOf(this.run.cfg.base, this.page.url())} ${got}${done ? ` done=${done}` : ''}`;
    await this.inspect(label, { axe, key });
  }

  // axe-core, page health, structure, screenshot.
  async inspect(label, { axe = true, key = null, print = false } = {}) {
    const page = this.label(label);
    const p = this.page;
    // The same page seen again by the same user (a form re-opened to be filled
    // once more): its health is checked, axe and the screenshot were done already.
    const again = this.run.seen.has(page + (print ? ' print' : ''));
    this.run.seen.add(page + (print ? ' print' : ''));
    if (again) axe = false;
    if (axe) {
      const results = await runAxe(p);
      for (const v of results.violations) {
        this.run.fail('axe', page, `${v.id}: ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
          { rule: v.id, url: p.url(), nodes: v.nodes.map((n) => ({ target: n.target, html: n.html.slice(0, 300) })) });
        console.log(formatViolations([v]));
      }
      if (!results.violations.length) this.run.passes++;
      if (key) this.run.coverage.add(key + (this.js ? '' : ' nojs') + (print ? ' print' : ''));
    }
    for (const problem of this.problems.splice(0)) this.run.fail('problem', page, problem, { url: p.url() });
    const s = await p.evaluate(() => {
      const refs = [];
      for (const attr of ['aria-describedby', 'aria-labelledby', 'aria-controls']) {
        for (const el of document.querySelectorAll(`[${attr}]`)) {
          for (const id of el.getAttribute(attr).split(/\s+/).filter(Boolean)) {
            if (!document.getElementById(id)) refs.push(`${el.tagName.toLowerCase()}#${el.id || '?'} ${attr}="${el.getAttribute(attr)}": no element #${id}`);
          }
        }
      }
      for (const el of document.querySelectorAll('label[for]')) {
        if (!document.getElementById(el.htmlFor)) refs.push(`label for="${el.htmlFor}": no element`);
      }
      const ids = {};
      const dups = [];
      for (const el of document.querySelectorAll('[id]')) {
        if (ids[el.id]) dups.push(el.id);
        ids[el.id] = true;
      }
      return {
        refs, dups, title: document.title, h1: document.querySelectorAll('h1').length,
        header: (document.querySelector('.govuk-generic-header') || {}).textContent || '',
        crown: !!document.querySelector('.govuk-header, .govuk-header__logotype, .govuk-logo, .govuk-footer__crown'),
        bodyClass: document.body.className,
        lang: document.documentElement.lang,
      };
    });
    for (const r of s.refs) this.run.fail('idref', page, r, { url: p.url() });
    this.run.check(!s.dups.length, 'duplicate-id', page, `duplicate ids: ${s.dups.join(', ')}`);
    this.run.check(s.h1 === 1, 'structure', page, `expected one <h1>, found ${s.h1}`);
    this.run.check(s.title.includes(this.run.cfg.council), 'structure', page,
      `title "${s.title}" does not name the council "${this.run.cfg.council}"`);
    this.run.check(s.header.includes(this.run.cfg.council) && !/GOV\.UK/.test(s.header) && !s.crown, 'branding', page,
      `header "${s.header.trim()}": expected the council's name and no GOV.UK branding`);
    if (!this.js) {
      this.run.check(!/govuk-frontend-supported|js-enabled/.test(s.bodyClass), 'nojs', page,
        `JavaScript was meant to be off, but body class is "${s.bodyClass}"`);
    }
    if (!again) await this.screenshot(label, { print });
    this.run.pages.push({ page, url: p.url(), status: this.lastResponse ? this.lastResponse.status() : null, key, again });
  }

  async screenshot(label, { print = false } = {}) {
    this.run.counter++;
    const name = `${this.run.scenario}-${String(this.run.counter).padStart(3, '0')}-${slug(this.user)}` +
                 `${this.js ? '' : '-nojs'}-${slug(label)}${print ? '-print' : ''}.png`;
    const file = path.join(SHOTS, name);
    await this.page.screenshot({ path: file, fullPage: true });
    this.run.shots.push(name);
    return file;
  }

  // ---- form error states ----

  // The page is a form re-shown with an error summary: status 400 or 422, the
  // title starts "Error:", every error in the summary links to a real field,
  // that field shows the error and is described by it, and (with JavaScript) the
  // summary has focus and its first link moves focus to the field.
  async expectErrorsKeyboard(label, opts = {}) {
    return this.expectErrors(label, { ...opts, keyboard: true });
  }

  async expectErrors(label, { contains = null, keyboard = false } = {}) {
    const page = this.label(label);
    const p = this.page;
    const status = this.lastResponse ? this.lastResponse.status() : null;
    this.run.check(status === 400 || status === 422, 'status', page, `expected 400 or 422 for a form error, got ${status}`);
    const info = await p.evaluate(() => {
      const summary = document.querySelector('.govuk-error-summary');
      if (!summary) return null;
      const items = [...summary.querySelectorAll('.govuk-error-summary__list li')].map((li) => {
        const a = li.querySelector('a');
        const href = a ? a.getAttribute('href') : null;
        const id = href && href.startsWith('#') ? decodeURIComponent(href.slice(1)) : null;
        const target = id ? document.getElementById(id) : null;
        let field = null;
        if (target) {
          const group = target.closest('.govuk-form-group');
          // the outermost form group: a date input's parts sit in groups of their own
          let outer = group;
          while (outer && outer.parentElement && outer.parentElement.closest('.govuk-form-group')) {
            outer = outer.parentElement.closest('.govuk-form-group');
          }
          const message = outer && outer.querySelector('.govuk-error-message');
          const describers = [target, target.closest('fieldset')].filter(Boolean)
            .map((el) => (el.getAttribute('aria-describedby') || '').split(/\s+/)).flat();
          field = {
            tag: target.tagName.toLowerCase(),
            type: target.type || '',
            control: /^(input|textarea|select)$/i.test(target.tagName) && target.type !== 'hidden',
            groupError: !!(outer && outer.classList.contains('govuk-form-group--error')),
            messageId: message ? message.id : null,
            messageText: message ? message.textContent.trim() : null,
            described: !!(message && message.id && describers.includes(message.id)),
          };
        }
        return { text: li.textContent.trim(), href, id, found: !!target, field };
      });
      return {
        items, focused: document.activeElement === summary || summary.contains(document.activeElement),
        active: document.activeElement.tagName.toLowerCase(),
      };
    });
    if (!this.run.check(info, 'error-summary', page, 'no error summary on the page')) return null;
    this.run.check(info.items.length > 0, 'error-summary', page, 'the error summary lists no error');
    this.run.check((await p.title()).startsWith('Error:'), 'error-summary', page,
      `the title of a page with errors should start "Error:", it is "${await p.title()}"`);
    if (contains) {
      const all = info.items.map((i) => i.text).join(' | ');
      this.run.check(contains.test(all), 'assert', page, `expected the error to say ${contains}, it says "${all}"`);
    }
    for (const item of info.items) {
      const jargon = JARGON.exec(item.text);
      this.run.check(!jargon, 'plain-english', page,
        `error "${item.text}" is not plain English ("${jargon && jargon[0]}")`, { error: item.text });
      if (!this.run.check(item.href, 'error-summary-unlinked', page,
        `error "${item.text}" does not link to the field it is about`, { error: item.text })) continue;
      if (!this.run.check(item.found, 'error-summary-target', page,
        `error "${item.text}" links to ${item.href}, which is no element on the page`, { error: item.text })) continue;
      const f = item.field;
      this.run.check(f.control, 'error-summary-target', page,
        `error "${item.text}" links to ${item.href}, a <${f.tag}>, not a form field`);
      this.run.check(f.groupError && f.messageId, 'field-error', page,
        `the field ${item.href} does not show its error (form group in error: ${f.groupError}, message: ${f.messageId})`);
      this.run.check(!f.messageId || f.described, 'error-not-described', page,
        `the error message #${f.messageId} of ${item.href} is not in the aria-describedby of the field or its fieldset`,
        { field: item.id });
    }
    if (this.js) {
      const hash = new URL(p.url()).hash;
      this.run.check(info.focused, hash ? 'focus-after-skip-link' : 'focus', page,
        'with JavaScript the error summary should have focus when the page loads' +
        (hash ? ` (the form posted to its page's URL with ${hash}, left there by the skip link; focus is on ` +
                `<${info.active}> instead)` : ''));
      const first = info.items.find((i) => i.href);
      if (first) {
        if (keyboard) {
          await p.keyboard.press('Tab');
          const onLink = await p.evaluate(() => document.activeElement.closest('.govuk-error-summary__list') !== null);
          this.run.check(onLink, 'keyboard', page, 'Tab from the error summary should reach its first link');
          await p.keyboard.press('Enter');
        } else {
          await p.locator('.govuk-error-summary__list a').first().click();
        }
        const active = await p.evaluate(() => document.activeElement && document.activeElement.id);
        this.run.check(active === first.id, 'focus', page,
          `following the error link ${first.href} should focus the field, focus is on #${active}`);
        info.target = active;
      }
    }
    return info;
  }

  // ---- reading the page ----

  async text(locator) {
    return (await locator.innerText()).replace(/\s+/g, ' ').trim();
  }

  async banner() {
    const b = this.page.locator('.govuk-notification-banner--success .govuk-notification-banner__heading');
    return (await b.count()) ? this.text(b.first()) : null;
  }

  // A summary list's value by its key (the first match on the page, or within scope).
  async summaryValue(key, scope = this.page) {
    const row = scope.locator('.govuk-summary-list__row', { has: this.page.locator('dt', { hasText: key }) }).first();
    if (!(await row.count())) return null;
    return this.text(row.locator('dd').first());
  }

  // Rows of a table identified by its caption: [[cell, ...], ...].
  async tableRows(caption) {
    return this.page.evaluate((cap) => {
      const table = [...document.querySelectorAll('table')].find((t) => t.caption && t.caption.textContent.trim() === cap);
      if (!table) return null;
      return [...table.tBodies[0].rows].map((r) => [...r.cells].map((c) => c.textContent.replace(/\s+/g, ' ').trim()));
    }, caption);
  }

  // ---- filling forms like a person: by the words on the screen ----

  group(name) {
    return this.page.getByRole('group', { name, exact: true });
  }

  field(label) {
    return this.page.getByLabel(label, { exact: true });
  }

  async fill(label, value) {
    await this.field(label).fill(value);
  }

  async choose(groupName, option) {
    await this.group(groupName).getByLabel(option, { exact: true }).check();
  }

  async tick(groupName, option, on = true) {
    const box = this.group(groupName).getByLabel(option, { exact: true });
    if (on) await box.check();
    else await box.uncheck();
  }

  async date(groupName, iso) {
    const [y, m, d] = iso.split('-');
    const g = this.group(groupName);
    await g.getByLabel('Day', { exact: true }).fill(String(Number(d)));
    await g.getByLabel('Month', { exact: true }).fill(String(Number(m)));
    await g.getByLabel('Year', { exact: true }).fill(y);
  }

  button(name) {
    return this.page.getByRole('button', { name, exact: true });
  }

  link(name, scope = this.page) {
    return scope.getByRole('link', { name, exact: true });
  }

  navLink(name) {
    return this.page.getByRole('navigation', { name: 'Menu' }).getByRole('link', { name, exact: true });
  }
}

module.exports = { Run, Session, routeOf, slug, STEP_SLUGS, JARGON, SHOTS, WIDTH, PASSWORD };
