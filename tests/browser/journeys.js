#!/usr/bin/env node
// Browser journeys through mod_habitual's real pages, in Debian's Chromium.
//
//   node journeys.js SCENARIO CONFIG.json RESULTS.json
//
// CONFIG (written by test_browser.py): { base, council, today, stamp, ... }.
// Scenarios:
//   journey     each role's main journey, by links and forms, axe on every page and
//               error state; the decision letter and its print stylesheet
//   pages       axe on every page of the service, for the role that may open it,
//               error pages, form error states and rule refusals included; every link
//               each role is shown leads somewhere it may go; reflow at 320 px
//   steps       every step's form taken to success on cases of its own: the success
//               banners, every letter on screen and printed
//               (node journeys.js required-coverage: what pages + steps must cover)
//   keyboard    the concern form and the post queue with the keyboard only; the skip link
//   nojs        the concern form, CEM steps and the post queue with JavaScript off
//   csrf        forms posted with no, an empty, a stale, another user's or a forged
//               token (the tokens come from test_browser.py, which has the secret)
//   csrf-control  the same forms with a good token made the same way: accepted
//   unavailable the 503 page (test_browser.py stops slapd first)
// Screenshots: screenshots/SCENARIO-NNN-USER-WHAT.png, one per page seen; the journey
// also leaves journey-readme-*.png, the README's three (test_browser.py shrinks them
// into readme/).
// Exit 0 when the scenario ran to its end (its failures are in RESULTS, judged by
// the pytest side), 2 when it could not run at all.
'use strict';

const fs = require('fs');
const path = require('path');
const { Run } = require('./harness');

function addDays(iso, n) {
  const d = new Date(`${iso}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

function caseIdFrom(url) {
  const m = /\/cases\/(\d+)/.exec(url);
  return m ? Number(m[1]) : null;
}

// ---------------------------------------------------------------------------
// The concern form, filled like a person would. without: leave one field out.
// ---------------------------------------------------------------------------
async function fillConcern(s, c, { without = null } = {}) {
  const skip = (k) => without === k;
  await s.choose('Is this about any of these?', 'None of these');
  if (!skip('name')) await s.fill("Customer's full name", c.name);
  await s.fill("Customer's council reference", c.reference);
  await s.fill("Customer's address (optional)", '14 Mill Lane\nExampleton EX2 4QT');
  await s.date("Customer's date of birth (optional)", '1971-03-27');
  await s.fill('Your department', 'Revenues and Benefits');
  await s.fill('What has happened', c.summary);
  for (const crit of c.criteria) await s.tick("Which of these describe the customer's contact?", crit);
  if (!skip('measures')) {
    await s.fill('Reasonable measures already taken', 'Both complaint stages answered in full; a named officer offered as single point of contact.');
  }
  await s.choose('Where is the customer in the complaints procedure?', 'Exhausted');
  await s.choose('Do you think the customer may be vulnerable?', 'No');
}

const CRITERIA = {
  excessive: 'Has an excessive number of contacts with the council, placing unreasonable demands on staff',
  swearing: 'Uses swear words in an attempt to abuse or undermine an officer',
  violence: 'Uses or threatens physical violence towards staff or their families or colleagues',
};

// ---------------------------------------------------------------------------
// journey: staff raises -> CEM warns and reports -> chief executive approves ->
// chief officer passes the notice -> the officer sees it -> the auditor finds it all
// ---------------------------------------------------------------------------
async function journey(run) {
  const cfg = run.cfg;
  const started = new Date(Date.now() - 2000).toISOString().replace(/\.\d+Z$/, 'Z');
  const person = {
    name: 'Jamie Journey', reference: `JRN-${cfg.stamp}`,
    summary: 'Rings the benefits line up to thirty times a day and swears at the officers who answer.',
    criteria: [CRITERIA.excessive, CRITERIA.swearing],
  };
  const P = 'journey';

  // ---- alice (staff) raises a concern ----
  const alice = await run.as('alice');
  await alice.open('', 'home');
  await alice.follow(alice.page.getByRole('main').getByRole('button', { name: 'Raise a concern' }), 'concern form');
  await alice.follow(alice.button('Raise the concern'), 'concern form submitted empty', { status: 422 });
  await alice.expectErrors('concern form submitted empty');
  await fillConcern(alice, person, { without: 'measures' });
  await alice.follow(alice.button('Raise the concern'), 'concern form without measures', { status: 422 });
  await alice.expectErrors('concern form without measures', { contains: /measures already taken/i });
  fs.copyFileSync(path.join(__dirname, 'screenshots', run.shots[run.shots.length - 1]),
    path.join(__dirname, 'screenshots', `${P}-readme-concern-form-errors.png`));
  // what was typed is kept
  const kept = {
    name: await alice.field("Customer's full name").inputValue(),
    ref: await alice.field("Customer's council reference").inputValue(),
    year: await alice.group("Customer's date of birth (optional)").getByLabel('Year').inputValue(),
    swearing: await alice.group("Which of these describe the customer's contact?").getByLabel(CRITERIA.swearing).isChecked(),
    exhausted: await alice.group('Where is the customer in the complaints procedure?').getByLabel('Exhausted').isChecked(),
    summary: await alice.field('What has happened').inputValue(),
  };
  run.check(kept.name === person.name && kept.ref === person.reference && kept.year === '1971' && kept.swearing &&
            kept.exhausted && kept.summary === person.summary, 'assert', alice.label('concern form without measures'),
  `the form should keep what was typed after an error: ${JSON.stringify(kept)}`);
  await alice.fill('Reasonable measures already taken', 'Both complaint stages answered in full; a named officer offered as single point of contact.');
  await alice.follow(alice.button('Raise the concern'), 'case page after raising', { redirect: true });
  const id = caseIdFrom(alice.page.url());
  run.check(id && /done=raised/.test(alice.page.url()), 'assert', alice.label('case page after raising'),
    `expected cases/{id}?done=raised, at ${alice.page.url()}`);
  run.check(/Concern raised/.test(await alice.banner() || ''), 'assert', alice.label('case page after raising'),
    `expected the success banner "Concern raised…", got "${await alice.banner()}"`);
  console.log(`the journey's case is ${id}`);
  await alice.follow(alice.navLink('Your referrals'), 'your referrals');
  const mine = await alice.tableRows('Your referrals');
  run.check(mine && mine.some((r) => r[0] === `Case ${id}` && r[1] === person.name && r[2] === 'Referred'), 'assert',
    alice.label('your referrals'), `expected Case ${id} (${person.name}, Referred) in ${JSON.stringify(mine)}`);

  // ---- carol (CEM) finds it on the dashboard, warns, reports ----
  const carol = await run.as('carol');
  await carol.open('', 'dashboard');
  const fresh = await carol.tableRows('New referrals');
  run.check(fresh && fresh.some((r) => r[0] === `Case ${id}` && r[1] === person.name), 'assert', carol.label('dashboard'),
    `expected Case ${id} among the new referrals: ${JSON.stringify(fresh)}`);
  const newTable = carol.page.locator('table', { has: carol.page.locator('caption', { hasText: 'New referrals' }) });
  await carol.follow(carol.link(`Case ${id}`, newTable), 'case page (referred)');
  run.check(await carol.text(carol.page.locator('h1')) === person.name, 'assert', carol.label('case page (referred)'),
    'the case page should be headed with the customer\'s name');
  await carol.follow(carol.link('Warn the customer'), 'warning form');
  await carol.follow(carol.button('Record warning'), 'warning form submitted empty', { status: 422 });
  await carol.expectErrors('warning form submitted empty');
  await carol.date('When was the customer asked to change?', cfg.today);
  await carol.choose('How?', 'By letter');
  await carol.fill('What the customer was told', 'We explained that thirty calls a day stop officers helping others, and asked you to keep to one call a day.');
  await carol.follow(carol.button('Record warning'), 'case page after the warning', { redirect: true });
  run.check(await carol.banner() === 'Warning recorded and letter issued', 'assert', carol.label('case page after the warning'),
    `banner: "${await carol.banner()}"`);
  run.check((await carol.text(carol.page.locator('main .govuk-tag').first())) === 'Warned', 'assert',
    carol.label('case page after the warning'), 'the status should read Warned');
  // the behaviour went on after the warning (R19: a report needs a contact since it)
  await carol.follow(carol.link(STEPS.contacts.title), 'add to the chronology form (after the warning)');
  await carol.date('Date of the contact', cfg.today);
  await carol.choose('How was the contact made?', 'Phone call');
  await carol.choose('Who made the contact?', 'From the customer');
  await carol.fill('What happened', 'Thirty more calls the day after the warning.');
  await submitStep(carol, 'contacts', 'case page after the contact since the warning');

  await carol.follow(carol.link('Report to the chief executive'), 'report form');
  const intro = await carol.text(carol.page.getByRole('main'));
  run.check(/One way of contacting the council must always stay open \(R7\)/.test(intro), 'assert', carol.label('report form'),
    'R7 should be explained before the report is sent');
  await carol.follow(carol.button('Send report'), 'report form submitted empty', { status: 422 });
  await carol.expectErrors('report form submitted empty');
  await carol.fill('The behaviour causing concern', 'Thirty calls a day continued after the warning, with swearing at the officers.');
  await carol.tick('Proposed restrictions', 'Decline contact by some channels');
  for (const ch of ['Telephone', 'Letter', 'Email', 'In person', 'Fax', 'Online forms']) await carol.tick('Channels to decline', ch);
  await carol.fill('For how many months?', '6');
  await carol.fill('Less restrictive options considered', 'A single named officer and one weekly call, both tried for a month.');
  await carol.follow(carol.button('Send report'), 'report form declining every channel (R7)', { status: 422 });
  await carol.expectErrors('report form declining every channel (R7)', { contains: /at least one way to contact/i });
  for (const ch of ['Letter', 'Email', 'In person', 'Fax', 'Online forms']) await carol.tick('Channels to decline', ch, false);
  run.check(await carol.group('Channels to decline').getByLabel('Telephone').isChecked(), 'assert',
    carol.label('report form declining every channel (R7)'), 'the restriction details typed should be kept');
  await carol.follow(carol.button('Send report'), 'case page after the report', { redirect: true });
  run.check(await carol.banner() === 'Report sent to the chief executive', 'assert', carol.label('case page after the report'),
    `banner: "${await carol.banner()}"`);

  // ---- chris (chief executive) approves ----
  const chris = await run.as('chris');
  await chris.open('', 'home');
  const waiting = await chris.tableRows('Reports awaiting a decision');
  run.check(waiting && waiting.some((r) => r[0] === `Case ${id}`), 'assert', chris.label('home'),
    `expected Case ${id} among the reports awaiting a decision: ${JSON.stringify(waiting)}`);
  const awaitTable = chris.page.locator('table', { has: chris.page.locator('caption', { hasText: 'Reports awaiting a decision' }) });
  await chris.follow(chris.link(`Case ${id}`, awaitTable), 'case page (reported)');
  const proposed = await chris.summaryValue('Proposed restrictions');
  run.check(/phone/i.test(proposed || ''), 'assert', chris.label('case page (reported)'),
    `the report's proposed restrictions should be shown: "${proposed}"`);
  await chris.follow(chris.link('Decide on the report'), 'decision form');
  await chris.follow(chris.button('Record decision'), 'decision form submitted empty', { status: 422 });
  await chris.expectErrors('decision form submitted empty');
  await chris.choose('Your decision', 'Approve the restrictions');
  await chris.choose('Are the restrictions justified?', 'No');
  await chris.choose('Are they proportionate?', 'Yes');
  await chris.fill('Your reasons', 'Thirty calls a day after a clear warning take officers from other residents; letters and email stay open.');
  await chris.follow(chris.button('Record decision'), 'decision form approving, not justified (R6)', { status: 422 });
  await chris.expectErrors('decision form approving, not justified (R6)', { contains: /justified/i });
  await chris.choose('Are the restrictions justified?', 'Yes');
  await chris.follow(chris.button('Record decision'), 'case page after the decision', { redirect: true });
  run.check(await chris.banner() === 'Decision recorded', 'assert', chris.label('case page after the decision'),
    `banner: "${await chris.banner()}"`);
  run.check((await chris.text(chris.page.locator('main .govuk-tag').first())) === 'Restrictions in force', 'assert',
    chris.label('case page after the decision'), 'the status should read Restrictions in force');
  const period = await chris.summaryValue('Period');
  console.log(`period: ${period}`);

  // the decision letter, on screen and as printed
  await chris.follow(chris.link('Decision about your contact with the council'), 'decision letter');
  const parts = await chris.page.$$eval('article.app-letter [data-part]', (els) => els.map((e) => e.dataset.part));
  for (const part of ['reasons', 'restrictions', 'period', 'review', 'open-ways', 'appeal', 'ombudsman', 'copies']) {
    run.check(parts.includes(part), 'assert', chris.label('decision letter'), `the letter has no "${part}" section: ${parts}`);
  }
  await chris.page.emulateMedia({ media: 'print' });
  const printed = await chris.page.evaluate(() => {
    const shown = (sel) => {
      const el = document.querySelector(sel);
      if (!el) return null;
      const cs = getComputedStyle(el);
      return cs.display !== 'none' && cs.visibility !== 'hidden' && el.getClientRects().length > 0;
    };
    let a4 = false;
    for (const sheet of document.styleSheets) {
      let rules = [];
      try { rules = [...sheet.cssRules]; } catch (e) { /* cross-origin */ }
      for (const r of rules) if (r.type === CSSRule.PAGE_RULE && /A4/i.test(r.style.getPropertyValue('size'))) a4 = true;
    }
    return {
      header: shown('.govuk-generic-header'), nav: shown('.govuk-service-navigation'), skip: shown('.govuk-skip-link'),
      footer: shown('.govuk-footer'), back: shown('.govuk-back-link'), intro: shown('.app-no-print'),
      letter: shown('article.app-letter'), a4,
    };
  });
  run.check(printed.header === false && printed.nav === false && printed.footer === false && printed.back === false &&
            printed.intro === false && printed.skip === false, 'print', chris.label('decision letter (print)'),
  `printed, the header, navigation, back link and footer should be hidden: ${JSON.stringify(printed)}`);
  run.check(printed.letter === true && printed.a4, 'print', chris.label('decision letter (print)'),
    `printed, the letter shows on A4: ${JSON.stringify(printed)}`);
  await chris.inspect('decision letter', { print: true, key: 'GET cases/{id}/letters/{n} 200' });
  await chris.page.emulateMedia({ media: 'screen' });

  // ---- olive (chief officer) is told, and passes the notice to bob ----
  const olive = await run.as('olive');
  await olive.open('', 'home');
  await olive.follow(olive.navLink('Notifications'), 'notifications');
  const told = await olive.tableRows('Notifications');
  run.check(told && told.some((r) => r[1] === `Case ${id}` && r[2] === person.name && r[3] === 'Restrictions approved'),
    'assert', olive.label('notifications'), `expected "Restrictions approved" for Case ${id}: ${JSON.stringify(told && told.slice(0, 3))}`);
  await olive.follow(olive.navLink('Notices'), 'notices');
  const oliveCard = olive.page.locator('.govuk-summary-card', { hasText: `${person.name} (${person.reference})` });
  run.check(await oliveCard.count() === 1, 'assert', olive.label('notices'), 'the chief officer should hold the new notice');
  // A chief officer passes notices on (SPEC §5): is there a way there by links?
  const grantLinks = await olive.page.locator(`a[href$="/cases/${id}/grants"]`).count();
  run.check(grantLinks > 0, 'no-grants-link', olive.label('notices'),
    `no link to pass the notice on (cases/${id}/grants) from the notices page; the notifications page has none either`);
  await olive.open(`cases/${id}/grants`, 'pass the notice on');
  await olive.follow(olive.button('Pass on the notice'), 'pass the notice on submitted empty', { status: 422 });
  await olive.expectErrors('pass the notice on submitted empty');
  await olive.fill('User name of the officer', 'bob');
  await olive.fill('Why they need to know', 'Bob answers the benefits line and takes the customer\'s calls.');
  await olive.date('Last day the notice is theirs', addDays(cfg.today, 90));
  const granted = await olive.navigate(() => olive.button('Pass on the notice').click());
  const before = granted.request().redirectedFrom();
  run.check(before && before.method() === 'POST' && (await before.response()).status() === 303, 'status',
    olive.label('pass the notice on'), 'the grant should be accepted (303)');
  // after passing the notice on, the chief officer should see that it worked
  run.check(granted.status() === 200 && /Notice passed on/.test(await olive.banner() || ''), 'step-redirect',
    olive.label('after passing the notice on'),
    `expected a 200 page confirming "Notice passed on"; got HTTP ${granted.status()} "${await olive.text(olive.page.locator('h1'))}" at ${olive.page.url()}`);
  await olive.inspect('after passing the notice on', { key: `GET cases/{id} ${granted.status()} done=grants` });

  // ---- bob (staff with the grant) sees the notice, not the file ----
  const bob = await run.as('bob');
  await bob.open('', 'home');
  await bob.follow(bob.navLink('Notices'), 'notices');
  const card = bob.page.locator('.govuk-summary-card', { hasText: `${person.name} (${person.reference})` });
  if (run.check(await card.count() === 1, 'assert', bob.label('notices'), `bob should hold the notice for ${person.name}`)) {
    const what = await bob.summaryValue('What the council will do', card);
    const open = await bob.summaryValue('How they may still contact the council', card);
    const until = await bob.summaryValue('Until', card);
    const say = await bob.summaryValue('To end a telephone call, say', card);
    run.check(/phone/i.test(what || ''), 'assert', bob.label('notices'), `restrictions: "${what}"`);
    run.check(open && !/phone/.test(open) && /letter/.test(open) && /email/.test(open), 'assert', bob.label('notices'),
      `open channels should be every one but phone: "${open}"`);
    run.check(period && until && period.endsWith(until), 'assert', bob.label('notices'),
      `until "${until}" should be the end of the period "${period}"`);
    run.check(say && say.length > 20, 'assert', bob.label('notices'), `the statement to end a phone call: "${say}"`);
    const text = await bob.text(card);
    run.check(!/swear|thirty calls|single named officer/i.test(text), 'assert', bob.label('notices'),
      'a notice never shows the reasons, the chronology or the report');
    fs.copyFileSync(path.join(__dirname, 'screenshots', run.shots[run.shots.length - 1]),
      path.join(__dirname, 'screenshots', `${P}-readme-notice.png`));
  }
  await bob.open(`cases/${id}`, 'the case file (refused)', { status: 404 });
  const refused = await bob.text(bob.page.getByRole('main'));
  await bob.open('cases/987654', 'a case that does not exist', { status: 404 });
  const missing = await bob.text(bob.page.getByRole('main'));
  run.check(refused === missing && /Page not found/.test(refused), 'assert', bob.label('the case file (refused)'),
    'a case bob may not see must read exactly as one that does not exist');

  // ---- carol sees the case as it now stands ----
  await carol.open(`cases/${id}`, 'case page (restrictions in force)');
  const holders = await carol.tableRows('Officers holding the notice');
  run.check(holders && holders.some((r) => r[0] === 'bob'), 'assert', carol.label('case page (restrictions in force)'),
    `bob should be listed as holding the notice: ${JSON.stringify(holders)}`);
  fs.copyFileSync(path.join(__dirname, 'screenshots', run.shots[run.shots.length - 1]),
    path.join(__dirname, 'screenshots', `${P}-readme-cem-case-page.png`));

  // ---- audrey (auditor) finds every one of those views in the access log ----
  const audrey = await run.as('audrey');
  await audrey.open('', 'home');
  await audrey.follow(audrey.navLink('Access log'), 'access log');
  const want = [
    { user: 'alice', action: 'case.create', outcome: 'allowed', caseId: true },
    { user: 'carol', action: 'page.case', outcome: 'allowed', caseId: true },
    { user: 'carol', action: 'case.warn', outcome: 'allowed', caseId: true },
    { user: 'carol', action: 'case.report', outcome: 'allowed', caseId: true },
    { user: 'chris', action: 'case.decide', outcome: 'allowed', caseId: true },
    { user: 'chris', action: 'case.letter.read', outcome: 'allowed', caseId: true },
    { user: 'olive', action: 'case.grant', outcome: 'allowed', caseId: true },
    { user: 'bob', action: 'notices.list', outcome: 'allowed', caseId: false },
    { user: 'bob', action: 'page.case', outcome: 'refused', caseId: true, status: '404' },
  ];
  for (const w of want) {
    const found = await findInLog(audrey, { from: started, user: w.user, case: w.caseId ? String(id) : '' },
      (r) => r.user === w.user && r.action === w.action && r.outcome === w.outcome &&
             (!w.caseId || r.case === String(id)) && (!w.status || r.status === w.status),
      `${w.user} ${w.action}`);
    run.check(found, 'audit', audrey.label('access log'),
      `no entry for ${w.user} ${w.action} ${w.outcome}${w.caseId ? ` on case ${id}` : ''} (filters user, case, from)`);
  }
  // the case filter alone shows the case's whole story, and no other case
  await filterLog(audrey, { from: '', user: '', case: String(id) }, `access log filtered to case ${id}`);
  const rows = await logRows(audrey);
  // ... and the lists and notices that showed it ("shown: 3, 7")
  const showsCase = (r) => r.case === String(id) ||
    (r.case.startsWith('shown: ') && r.case.slice(7).split(', ').includes(String(id)));
  run.check(rows.some((r) => r.case === String(id)) && rows.every(showsCase), 'audit', audrey.label(`access log filtered to case ${id}`),
    'filtering by case shows entries of that case only, and the lists that showed it');
  await audrey.follow(audrey.link('Check the log has not been tampered with'), 'access log check');
  run.check(await audrey.text(audrey.page.locator('h1')) === 'The access log is intact', 'audit', audrey.label('access log check'),
    `the chain check should say intact: "${await audrey.text(audrey.page.locator('h1'))}"`);
}

async function logRows(s) {
  return s.page.evaluate(() => {
    const t = [...document.querySelectorAll('table')].find((x) => x.caption && x.caption.textContent.trim() === 'Entries');
    if (!t) return [];
    return [...t.tBodies[0].rows].map((r) => {
      const c = [...r.cells].map((x) => x.textContent.trim());
      return { seq: c[0], at: c[1], user: c[2], action: c[3], case: c[4], outcome: c[5], status: c[6] };
    });
  });
}

async function filterLog(s, f, label) {
  await s.fill('From (date or UTC time)', f.from || '');
  await s.fill('User', f.user || '');
  await s.fill('Case number', f.case || '');
  await s.follow(s.button('Filter'), label);
}

// Filter the access log like an auditor, then page through it with "Next page".
async function findInLog(s, filters, match, what) {
  await filterLog(s, filters, `access log: ${what}`);
  for (let page = 0; page < 20; page++) {
    if ((await logRows(s)).some(match)) return true;
    const next = s.page.getByRole('link', { name: 'Next page' });
    if (!(await next.count())) return false;
    await s.follow(next, `access log: ${what}, page ${page + 2}`);
  }
  return false;
}

// ---------------------------------------------------------------------------
// pages: axe on every page of the service, for the role that may open it
// ---------------------------------------------------------------------------

// The procedure's steps as the pages name them (mod_habitual/core/web/pages_case.c).
const STEPS = {
  contacts: { title: 'Add to the chronology', button: 'Add contact', done: 'Contact added to the chronology' },
  warning: { title: 'Warn the customer', button: 'Record warning', done: 'Warning recorded and letter issued' },
  close: { title: 'Close without action', button: 'Close the case', done: 'Case closed' },
  report: { title: 'Report to the chief executive', button: 'Send report', done: 'Report sent to the chief executive' },
  decision: { title: 'Decide on the report', button: 'Record decision', done: 'Decision recorded' },
  review: { title: 'Review the designation', button: 'Send review', done: 'Review sent for decision' },
  'review-decision': { title: 'Decide on the review', button: 'Record decision', done: 'Review decision recorded' },
  appeal: { title: 'Record an appeal', button: 'Record appeal', done: 'Appeal recorded' },
  'appeal-decision': { title: 'Decide the appeal', button: 'Record decision', done: 'Appeal decided' },
  grants: { title: 'Pass the notice to an officer', button: 'Pass on the notice', done: 'Notice passed on' },
  statements: { title: "Record the customer's statement", button: 'Record statement', done: 'Statement recorded' },
  hold: { title: 'Place a legal hold', button: 'Place legal hold', done: 'Legal hold placed' },
  'interim-lift': { title: 'Lift the interim restriction', button: 'Lift the restriction', done: 'Interim restriction lifted' },
  person: { title: "Correct the customer's details", button: 'Correct the details', done: 'Details corrected' },
  corrections: { title: 'Withdraw an entry made in error', button: 'Withdraw the entry', done: 'Entry withdrawn' },
  copies: { title: 'Change who letters are copied to', button: 'Save the copy list', done: 'Copy list changed' },
  adjustments: { title: 'Record reasonable adjustments', button: 'Save the adjustments', done: 'Adjustments recorded' },
  evidence: { title: 'Attach evidence', button: 'Attach the file', done: 'Evidence attached' },
  correspondence: { title: 'Record post received', button: 'Record the item', done: 'Item recorded for the post queue' },
  triage: { title: 'Decide an item of post', button: 'Record the decision', done: 'Item decided' },
};

// Every page, each error page and each form's error state: what the pages
// scenario must have run axe on ("METHOD route STATUS [done=...]").
function requiredCoverage() {
  const need = [
    'GET (home) 200', 'GET (home) 403',
    'GET concerns/new 200', 'POST concerns/new 422', 'POST concerns/new 400', 'GET cases/{id} 200 done=raised',
    'GET referrals 200', 'GET cases 200', 'GET cases 403',
    'GET cases/{id} 200', 'GET cases/{id} 404', 'GET cases/{id}/grants 200 done=revoked',
    'GET cases/{id}/{step} 404', 'GET cases/{id}/warning 409', 'GET cases/{id}/warning 403',
    'GET cases/{id}/letters/{n} 200', 'GET cases/{id}/letters/{n} 200 print', 'GET cases/{id}/letters/{n} 404',
    'GET notices 200', 'GET notices 403', 'GET notifications 200', 'GET notifications 403',
    'GET absences 200', 'POST absences 422', 'GET absences 200 done=1', 'GET absences 403',
    'GET audit 200', 'GET audit 403', 'GET audit/verify 200', 'GET audit/verify 403',
    'GET audit/export 400', 'GET audit/export 403',
    'GET governance 200', 'GET governance 404', 'GET triage 200', 'GET triage 403',
    'POST (home) 405', 'POST concerns/new 415', 'POST concerns/new 413',
  ];
  for (const slug of Object.keys(STEPS)) {
    need.push(`GET cases/{id}/${slug} 200`, `POST cases/{id}/${slug} 422`, `GET cases/{id} 200 done=${slug}`);
  }
  return need;
}

// Post a form the pages never offer (wrong method, wrong encoding, too big), from
// a page of the service, as a browser would.
async function postFrom(s, action, fields, enctype, label, status) {
  const response = await s.navigate(() => s.page.evaluate(({ action, fields, enctype }) => {
    const f = document.createElement('form');
    f.method = 'post';
    f.action = action;
    if (enctype) f.enctype = enctype;
    for (const [k, v] of Object.entries(fields)) {
      const i = document.createElement('textarea');
      i.name = k;
      i.value = v;
      f.appendChild(i);
    }
    document.body.appendChild(f);
    f.submit();
  }, { action, fields, enctype }));
  await s.arrived(response, label, { status });
  return response;
}

async function formToken(s) {
  return s.page.locator('input[name="csrf_token"]').first().getAttribute('value');
}

// Open a step's form from the case page by its link, as a person would.
async function stepFromCase(s, id, slug) {
  if (!new RegExp(`/cases/${id}(\\?|$)`).test(s.page.url())) await s.open(`cases/${id}`, `case ${id}`);
  await s.follow(s.link(STEPS[slug].title), `${STEPS[slug].title} form`);
}

async function submitStep(s, slug, label, { expectDone = true } = {}) {
  const st = STEPS[slug];
  if (!expectDone) {
    await s.follow(s.button(st.button), label, { status: 422 });
    return;
  }
  await s.follow(s.button(st.button), label || `case page: ${st.done}`, { redirect: true });
  s.run.check(await s.banner() === st.done, 'assert', s.label(label || st.done),
    `expected the banner "${st.done}", got "${await s.banner()}" at ${s.page.url()}`);
}

// An item of post recorded from the case page, then decided from the queue
// by its "Decide" link: the post queue's journey.
async function recordAndDecidePost(s, id, today, how) {
  await stepFromCase(s, id, 'correspondence');
  await s.date('Date received', today);
  await s.choose('How it came', 'Letter');
  await s.fill('What it is about', `Writes again about the same parking fine (${how}).`);
  await submitStep(s, 'correspondence');
  await s.open('triage', `the post queue (${how})`);
  const decide = s.page.getByRole('link', { name: /^Decide item \d+$/ }).last();
  await s.follow(decide, `decide an item of post from the queue (${how})`);
  s.run.check(/item=\d+/.test(s.page.url()) && Number(await s.page.locator('input[name="item"]').inputValue()) > 0,
    'assert', s.label('triage form'), `the queue's link should fill in the item's number, at ${s.page.url()}`);
  await s.choose('Your decision', 'Acknowledge only');
  await s.fill('Why', 'Only the closed matter: nothing new.');
  await submitStep(s, 'triage', `case page: item decided (${how})`);
}

// A step's form submitted empty, from its page.
async function emptyStep(s, id, slug) {
  await s.open(`cases/${id}/${slug}`, `${STEPS[slug].title} form (case ${id})`);
  await s.follow(s.button(STEPS[slug].button), `${STEPS[slug].title} form submitted empty`, { status: 422 });
  await s.expectErrors(`${STEPS[slug].title} form submitted empty`);
}

async function fillReport(s, { channels = ['Telephone'], months = '6', severe = false, extra = null } = {}) {
  await s.fill('The behaviour causing concern', 'Calls continued after the warning, with abuse of the officers.');
  await s.tick('Proposed restrictions', 'Decline contact by some channels');
  for (const ch of channels) await s.tick('Channels to decline', ch);
  await s.fill('For how many months?', months);
  await s.fill('Less restrictive options considered', 'A single point of contact and a weekly call.');
  if (severe) {
    await s.choose('Is the behaviour severe enough to act without notice?', 'Yes');
    await s.fill('Why it is severe (if acting without notice)', 'Threats to staff at the counter.');
  }
  if (extra) await extra(s);
}

// Every link a role is shown leads somewhere that role may go: follow them all,
// page by page, from home (GET requests through the browser context, signed in).
async function crawl(run, s, { limit = 400 } = {}) {
  const base = run.cfg.base;
  const mount = new URL(base).pathname;
  const seen = new Map([[`${base}/`, 'start']]);
  const queue = [`${base}/`];
  const demoIds = new Set(Object.values(run.cfg.cases));
  let n = 0;
  while (queue.length && n < limit) {
    const url = queue.shift();
    n++;
    const res = await s.context.request.get(url, { maxRedirects: 0 });
    const from = seen.get(url);
    run.check(res.status() < 400, 'dead-link', s.label(`link to ${url.slice(base.length) || '/'}`),
      `${s.user} is shown a link to ${url.slice(base.length)} (on ${from}) that answers ${res.status()}`);
    if (!/text\/html/.test(res.headers()['content-type'] || '') || res.status() >= 400) continue;
    const html = await res.text();
    for (const m of html.matchAll(/href="([^"#]+)"/g)) {
      const href = m[1].replace(/&amp;/g, '&');
      const abs = new URL(href, url);
      if (abs.origin !== new URL(base).origin || !abs.pathname.startsWith(mount) || abs.pathname.startsWith(`${mount}/assets/`)) continue;
      // the other browser's scenarios move their own cases on while this crawl runs:
      // follow only the demo's cases, whose state nothing changes during the crawl
      const caseId = /\/cases\/(\d+)/.exec(abs.pathname);
      if (caseId && !demoIds.has(Number(caseId[1]))) continue;
      // one page of each kind is enough for the access log's paging and exports
      if (/\/audit$/.test(abs.pathname) && abs.search && [...seen.keys()].some((k) => /\/audit\?/.test(k))) continue;
      const key = abs.toString();
      if (!seen.has(key)) {
        seen.set(key, url.slice(base.length) || '/');
        queue.push(key);
      }
    }
  }
  run.note(`${s.user}: followed ${n} links`);
}

async function pages(run) {
  const cfg = run.cfg;
  const C = cfg.cases; // the demo's cases by state
  const today = cfg.today;

  // ---- home, for every role; ghost has none ----
  const users = {};
  for (const u of ['alice', 'bob', 'carol', 'molly', 'chris', 'olive', 'oscar', 'audrey', 'dana']) {
    users[u] = await run.as(u);
    await users[u].open('', 'home');
  }
  const { alice, bob, carol, molly, chris, olive, audrey, dana } = users;
  const ghost = await run.as('ghost');
  await ghost.open('', 'home (no role)', { status: 403 });
  await ghost.open('notices', 'notices (no role)', { status: 403 });

  // ---- every link each role is shown leads somewhere it may go ----
  for (const u of Object.values(users)) await crawl(run, u);

  // ---- staff ----
  await alice.open('concerns/new', 'concern form');
  await alice.follow(alice.button('Raise the concern'), 'concern form submitted empty', { status: 422 });
  await alice.expectErrors('concern form submitted empty');
  await fillConcern(alice, { name: 'Fran Foi', reference: `FOI-${cfg.stamp}`, summary: 'Sends a request a day.', criteria: [CRITERIA.excessive] });
  await alice.choose('Is this about any of these?', 'A vexatious Freedom of Information or Data Protection request');
  await alice.follow(alice.button('Raise the concern'), 'concern form: an FOI request (R1)', { status: 422 });
  await alice.expectErrors('concern form: an FOI request (R1)', { contains: /information governance manager/ });
  await alice.choose('Is this about any of these?', 'None of these');
  await alice.date("Customer's date of birth (optional)", '1971-03-27');
  await alice.group("Customer's date of birth (optional)").getByLabel('Day', { exact: true }).fill('32');
  await alice.follow(alice.button('Raise the concern'), 'concern form: a date of birth that is no date', { status: 400 });
  await alice.expectErrors('concern form: a date of birth that is no date');
  await alice.open('referrals', 'your referrals');
  await alice.open(`cases/${C.referred}`, 'a referral of theirs, still referred');
  await alice.open(`cases/${C.active}`, 'a referral of theirs, taken forward (status only)');
  for (const [p, what] of [['cases', 'the list of cases'], ['notifications', 'notifications'], ['absences', 'absences'],
    ['audit', 'the access log'], ['audit/verify', 'the chain check'], ['audit/export?format=csv', 'the export']]) {
    await alice.open(p, `${what} (not theirs: 403)`, { status: 403 });
  }
  await alice.open(`cases/${C.referred}/warning`, 'warning form of their referral (403)', { status: 403 });
  await alice.open(`cases/${C.active}/letters/1`, 'a letter of their referral (404)', { status: 404 });
  await bob.open('notices', 'notices (granted)');
  await bob.open(`cases/${C.active}`, 'the file of a case whose notice they hold (404)', { status: 404 });
  await bob.open(`cases/${C.referred}/warning`, 'a step of a case they cannot see (404)', { status: 404 });
  await audrey.open('notices', 'notices (none held)');

  // ---- the CEM: every case, every form's error state, the rules explained ----
  await carol.open('cases', 'cases');
  for (const [state, id] of Object.entries(C)) await carol.open(`cases/${id}`, `case page (${state})`);
  await carol.open('987654', 'an address that is no page (404)', { status: 404 });
  await carol.open(`cases/${C.active}/nonsense`, 'a step that does not exist (404)', { status: 404 });
  await carol.open(`cases/${C.closed}/warning`, 'warning a closed case (409)', { status: 409 });
  for (const slug of ['contacts', 'warning', 'close']) await emptyStep(carol, C.referred, slug);
  await emptyStep(carol, C.warned, 'report');
  for (const slug of ['review', 'appeal', 'grants', 'statements', 'hold', 'person', 'corrections', 'copies', 'adjustments']) {
    await emptyStep(carol, C.active, slug);
  }
  await emptyStep(olive, C.appeal, 'appeal-decision');
  await emptyStep(chris, C.reported, 'decision');
  // the post queue (issue 15): the interim restriction (R8) makes contact written-only
  for (const slug of ['correspondence', 'triage']) await emptyStep(carol, C.interim, slug);
  // evidence (issue 14): GOV.UK's file upload, sent as multipart/form-data
  await emptyStep(carol, C.active, 'evidence');
  await stepFromCase(carol, C.active, 'evidence');
  await carol.page.getByLabel('The file', { exact: true }).setInputFiles({
    name: 'letter of 3 March.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.4\n%browser\n%%EOF\n') });
  await carol.fill('What it is', "The customer's letter of 3 March.");
  await submitStep(carol, 'evidence');
  run.check(await carol.page.getByRole('link', { name: 'letter of 3 March.pdf' }).count() === 1, 'assert',
    carol.label('case page: evidence attached'), 'the case page should list the file with a link to save it');
  await recordAndDecidePost(carol, C.interim, today, 'pages');
  await alice.open('triage', 'the post queue (the CEM\'s: 403)', { status: 403 });

  // R3, R10: reporting a vulnerable customer never warned
  await carol.open(`cases/${C.referred}/report`, 'report form (vulnerable, never warned)');
  await fillReport(carol);
  await submitStep(carol, 'report', 'report form: never warned (R3)', { expectDone: false });
  await carol.expectErrors('report form: never warned (R3)', { contains: /warn/i });
  await carol.choose('Is the behaviour severe enough to act without notice?', 'Yes');
  await carol.fill('Why it is severe (if acting without notice)', 'Threats to staff at the counter.');
  await submitStep(carol, 'report', 'report form: vulnerable, no safeguarding (R10)', { expectDone: false });
  await carol.expectErrors('report form: vulnerable, no safeguarding (R10)', { contains: /safeguard/i });
  // R8: after violence, only written-only or stricter
  await carol.open(`cases/${C.interim}/report`, 'report form (after violence)');
  await fillReport(carol, { severe: true });
  await submitStep(carol, 'report', 'report form: violence, phone only declined (R8)', { expectDone: false });
  await carol.expectErrors('report form: violence, phone only declined (R8)', { contains: /written|violence/i });
  // R7: one door stays open
  await carol.open(`cases/${C.warned}/report`, 'report form (warned)');
  await fillReport(carol, { channels: ['Telephone', 'Letter', 'Email', 'In person', 'Fax', 'Online forms'] });
  await submitStep(carol, 'report', 'report form: every channel declined (R7)', { expectDone: false });
  await carol.expectErrors('report form: every channel declined (R7)', { contains: /at least one way to contact/ });
  // R6, R4: the decision
  await chris.open(`cases/${C.reported}/decision`, 'decision form');
  await chris.choose('Your decision', 'Approve the restrictions');
  await chris.choose('Are the restrictions justified?', 'Yes');
  await chris.choose('Are they proportionate?', 'No');
  await chris.fill('Your reasons', 'Not proportionate to the contact recorded.');
  await submitStep(chris, 'decision', 'decision form: not proportionate (R6)', { expectDone: false });
  await chris.expectErrors('decision form: not proportionate (R6)', { contains: /proportionate/ });
  await molly.open(`cases/${C.reported}/decision`, 'decision form (monitoring officer)');
  await molly.choose('Your decision', 'Approve the restrictions');
  await molly.choose('Are the restrictions justified?', 'Yes');
  await molly.choose('Are they proportionate?', 'Yes');
  await molly.fill('Your reasons', 'Deciding while the chief executive is away.');
  await submitStep(molly, 'decision', 'decision form: no absence recorded (R4)', { expectDone: false });
  await molly.expectErrors('decision form: no absence recorded (R4)', { contains: /absence|deputis/i });

  // ---- chief officers, auditors ----
  await olive.open('notifications', 'notifications');
  await olive.open('notices', 'notices (every case in force)');
  await olive.open(`cases/${C.appeal}`, 'a case with an appeal to hear');
  await olive.open(`cases/${C.active}/grants`, 'pass the notice on');
  await olive.open(`cases/${C.active}`, 'the file of a case in force (404)', { status: 404 });
  await dana.open('notifications', 'notifications');
  // ---- the governance figures (issue 16): case officers and auditors, 404 for everyone else ----
  await audrey.open(`governance?year=${today.slice(0, 4)}&quarter=year`, 'governance figures for the year');
  run.check(await audrey.page.locator('svg[role="img"][aria-labelledby]').count() === 3, 'assert',
    audrey.label('governance figures for the year'),
    'three charts (by month, working days, refusals by rule), each named by its title and description');
  await audrey.page.emulateMedia({ media: 'print' });
  const govPrinted = await audrey.page.evaluate(() => {
    const shown = (sel) => {
      const el = document.querySelector(sel);
      if (!el) return null;
      const cs = getComputedStyle(el);
      return cs.display !== 'none' && cs.visibility !== 'hidden' && el.getClientRects().length > 0;
    };
    return { nav: shown('.govuk-service-navigation'), form: shown('form.app-no-print'), chart: shown('svg.app-chart'),
      table: shown('.govuk-table') };
  });
  run.check(govPrinted.nav === false && govPrinted.form === false && govPrinted.chart === true && govPrinted.table === true,
    'print', audrey.label('governance figures (print)'), `printed: charts and tables only: ${JSON.stringify(govPrinted)}`);
  await audrey.inspect('governance figures for the year', { print: true, key: 'GET governance 200' });
  await audrey.page.emulateMedia({ media: 'screen' });
  await molly.open('governance', 'governance figures (the last full quarter)');
  await alice.open('governance', 'governance figures (404)', { status: 404 });
  await olive.open('governance', 'governance figures (404)', { status: 404 });
  await audrey.open('audit', 'access log');
  await filterLog(audrey, { from: today, user: 'carol', case: '' }, 'access log filtered by user and date');
  const next = audrey.page.getByRole('link', { name: 'Next page' });
  if (run.check(await next.count(), 'assert', audrey.label('access log filtered by user and date'),
    'carol\'s entries today fill more than a page: there should be a Next page link')) {
    await audrey.follow(next, 'access log, next page');
  }
  await audrey.follow(audrey.link('Check the log has not been tampered with'), 'access log check');
  await audrey.open('audit/export?format=xml', 'export in an unknown format (400)', { status: 400 });
  for (const f of ['csv', 'json']) {
    const res = await audrey.context.request.get(run.url(`audit/export?format=${f}&user=alice`));
    const type = res.headers()['content-type'] || '';
    const body = await res.text();
    run.check(res.status() === 200 && type.startsWith(f === 'csv' ? 'text/csv' : 'application/json') &&
              /attachment/.test(res.headers()['content-disposition'] || '') && /alice/.test(body), 'assert',
    audrey.label(`export as ${f}`), `expected a ${f} download with alice's entries: ${res.status()} ${type}`);
  }
  await audrey.open(`cases/${C.active}`, 'a case file (404)', { status: 404 });

  // ---- requests the pages never make ----
  await alice.open('concerns/new', 'concern form');
  const token = await formToken(alice);
  await postFrom(alice, run.url(''), { csrf_token: token }, null, 'home, posted to (405)', 405);
  run.check(!/has been logged/.test(await alice.text(alice.page.getByRole('main'))), 'wording', alice.label('home, posted to (405)'),
    `the 405 page reads "${await alice.text(alice.page.locator('main p').first())}": a method the page does not take is no service failure, and nothing was logged`);
  await alice.open('concerns/new', 'concern form');
  await postFrom(alice, run.url('concerns/new'), { csrf_token: token, summary: 'x' }, 'text/plain', 'concern form posted as text/plain (415)', 415);
  await alice.open('concerns/new', 'concern form');
  await postFrom(alice, run.url('concerns/new'), { csrf_token: token, summary: 'x'.repeat(70 * 1024) }, null,
    'concern form posted with 70 KB (413)', 413);

  // ---- reflow (WCAG 1.4.10): at 320 CSS px wide nothing but a data table may
  // need scrolling sideways ----
  const narrow = {};
  for (const [u, p, what] of [
    ['alice', '', 'home'], ['alice', 'concerns/new', 'concern form'], ['bob', 'notices', 'notices'],
    ['carol', `cases/${C.active}`, 'case page'], ['carol', `cases/${C.warned}/report`, 'report form'],
    ['chris', `cases/${C.reported}/decision`, 'decision form'], ['carol', `cases/${C.active}/letters/2`, 'decision letter'],
    ['audrey', 'audit/verify', 'access log check']]) {
    const n = narrow[u] || (narrow[u] = await run.as(u, { width: 320 }));
    await n.open(p, `${what} at 320 px`);
    const over = await n.page.evaluate(() => [...document.querySelectorAll('body *')]
      .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1 && !e.closest('table') &&
                     ![...e.children].some((c) => c.getBoundingClientRect().right > window.innerWidth + 1))
      .map((e) => `<${e.tagName.toLowerCase()} class="${e.className}"> ${Math.round(e.getBoundingClientRect().right)} px: ` +
                  `"${(e.textContent || '').replace(/\s+/g, ' ').trim().slice(0, 50)}"`));
    run.check(!over.length, 'reflow', n.label(`${what} at 320 px`),
      `content other than a data table is wider than the 320 px window: ${over.slice(0, 3).join('; ')}`);
  }

}

// ---------------------------------------------------------------------------
// steps: every step of the procedure taken through its form, succeeding, on cases
// of its own: each form's page and its success banner, every letter, as printed
// ---------------------------------------------------------------------------
async function steps(run) {
  const cfg = run.cfg;
  const today = cfg.today;
  const users = {};
  for (const u of ['alice', 'carol', 'chris', 'olive']) users[u] = await run.as(u);
  const { alice, carol, chris, olive } = users;

  // ---- every step of the procedure, succeeding, on a case of its own ----
  await alice.open('concerns/new', 'concern form');
  const person = { name: 'Pat Pages', reference: `PGS-${cfg.stamp}`, summary: 'Calls the housing team forty times a week.', criteria: [CRITERIA.excessive] };
  await fillConcern(alice, person);
  await alice.follow(alice.button('Raise the concern'), 'case page after raising', { redirect: true });
  const id = caseIdFrom(alice.page.url());
  await alice.follow(alice.link(STEPS.contacts.title), 'add to the chronology form');
  await alice.date('Date of the contact', today);
  await alice.choose('How was the contact made?', 'Phone call');
  await alice.choose('Who made the contact?', 'From the customer');
  await alice.fill('What happened', 'Shouted at the officer for twenty minutes.');
  await alice.tick('Incidents (optional)', 'Swearing');
  await submitStep(alice, 'contacts');

  await stepFromCase(carol, id, 'warning');
  await carol.date('When was the customer asked to change?', today);
  await carol.choose('How?', 'By email');
  await carol.fill('What the customer was told', 'Please keep to one call a day.');
  await submitStep(carol, 'warning');
  // R19: the behaviour continued after the warning
  await stepFromCase(carol, id, 'contacts');
  await carol.date('Date of the contact', today);
  await carol.choose('How was the contact made?', 'Phone call');
  await carol.choose('Who made the contact?', 'From the customer');
  await carol.fill('What happened', 'Called again, the same points as before.');
  await submitStep(carol, 'contacts');
  await stepFromCase(carol, id, 'report');
  await fillReport(carol, {
    months: '12',
    extra: async (c) => {
      await c.tick('Proposed restrictions', 'A signed agreement setting out a code of behaviour');
      await c.fill('Terms of the agreement', 'One call a day, no swearing.');
      await c.tick('Proposed restrictions', 'Ban from some or all council buildings');
      await c.fill('Buildings', 'Civic Centre');
    },
  });
  await submitStep(carol, 'report');
  await stepFromCase(chris, id, 'decision');
  await chris.choose('Your decision', 'Approve the restrictions');
  await chris.choose('Are the restrictions justified?', 'Yes');
  await chris.choose('Are they proportionate?', 'Yes');
  await chris.fill('Your reasons', 'Forty calls a week after a warning.');
  await submitStep(chris, 'decision');
  await stepFromCase(carol, id, 'grants');
  await carol.fill('User name of the officer', 'dana');
  await carol.fill('Why they need to know', 'Covers the housing desk.');
  await carol.date('Last day the notice is theirs', addDays(today, 30));
  await submitStep(carol, 'grants');
  await carol.open(`cases/${id}/grants`, 'pass the notice on (dana holds it)');
  await carol.follow(carol.button('Withdraw the notice from dana'), 'case page: notice withdrawn', { redirect: true });
  run.check(await carol.banner() === 'Notice withdrawn', 'assert', carol.label('case page: notice withdrawn'), `banner "${await carol.banner()}"`);
  await stepFromCase(carol, id, 'statements');
  await carol.date('Date the statement was received', today);
  await carol.fill("The customer's statement", 'I only call because nobody answers my letters.');
  await submitStep(carol, 'statements');
  await stepFromCase(carol, id, 'hold');
  await carol.fill('Why the case must be kept', 'A claim against the council is expected.');
  await submitStep(carol, 'hold');
  // corrections with history, and a copy added later (issue 14)
  await stepFromCase(carol, id, 'person');
  await carol.choose('What is wrong', 'Address');
  await carol.fill('What it should say', '15 Mill Lane\nExampleton EX2 4QT');
  await carol.fill('Why it is corrected', 'The customer wrote to give the right house number.');
  await submitStep(carol, 'person');
  await stepFromCase(carol, id, 'copies');
  await carol.choose('Add or remove', 'Add a recipient');
  await carol.fill('Name (to add)', 'Jo Member MP');
  await carol.choose('Who they are (to add)', 'MP');
  await submitStep(carol, 'copies');
  // reasonable adjustments (issue 15): letters from now on open in large print
  await stepFromCase(carol, id, 'adjustments');
  await carol.choose("How the customer's letters are given", 'Large print');
  await carol.choose('Does the customer need easy read?', 'No');
  await carol.fill('Someone the customer wants copied into letters (optional)', 'Kim Carer');
  await submitStep(carol, 'adjustments');
  const headings = await carol.page.locator('main h3').allTextContents();
  const contactNo = headings.map((t) => /Contact (\d+),/.exec(t)).find(Boolean)[1];
  await stepFromCase(carol, id, 'corrections');
  await carol.choose('What was entered in error', 'One incident recorded with a contact');
  await carol.fill('Number of the contact (for a contact or an incident)', contactNo);
  await carol.choose('Which incident (for an incident)', 'Swearing');
  await carol.fill('Why it is withdrawn', 'The officer confirms there was no swearing.');
  await submitStep(carol, 'corrections');
  await stepFromCase(carol, id, 'appeal');
  await carol.date('Date the appeal was received', today);
  await carol.fill("The customer's grounds", 'The calls were about a real repair.');
  await submitStep(carol, 'appeal');
  await olive.open('', 'home (an appeal to hear)');
  const appealsTable = olive.page.locator('table', { has: olive.page.locator('caption', { hasText: 'Appeals for you to hear' }) });
  await olive.follow(olive.link(`Case ${id}`, appealsTable), 'a case with an appeal to hear');
  await olive.follow(olive.link(STEPS['appeal-decision'].title), 'decide the appeal form');
  await olive.choose('Your decision', 'Uphold the decision');
  await olive.fill('Your reasons', 'The restrictions were justified.');
  const decided = await olive.navigate(() => olive.button('Record decision').click());
  run.check(decided.status() === 200 && await olive.banner() === STEPS['appeal-decision'].done, 'step-redirect',
    olive.label('after deciding the appeal'),
    `expected a 200 page confirming "${STEPS['appeal-decision'].done}"; got HTTP ${decided.status()} "${await olive.text(olive.page.locator('h1'))}" at ${olive.page.url()}`);
  await olive.inspect('after deciding the appeal', { key: `GET cases/{id} ${decided.status()} done=appeal-decision` });
  await stepFromCase(carol, id, 'review');
  await carol.choose('Recommendation', 'Continue for a new period');
  await carol.fill('Review report', 'The customer still calls daily.');
  await carol.fill('User name of the monitoring officer who joined the review', 'molly');
  await submitStep(carol, 'review');
  await emptyStep(chris, id, 'review-decision');
  await stepFromCase(chris, id, 'review-decision');
  await chris.choose('Your decision', 'Continue for a new period');
  await chris.choose('Are the restrictions still justified?', 'Yes');
  await chris.choose('Are they still proportionate?', 'Yes');
  await chris.fill('Your reasons', 'Contact is still unreasonable.');
  await submitStep(chris, 'review-decision');
  // every letter of the case, and one as printed
  await carol.open(`cases/${id}`, 'case page (every step taken)');
  const letters = await carol.page.locator('main a[href*="/letters/"]').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
  run.check(letters.length >= 4, 'assert', carol.label('case page (every step taken)'), `expected 4 letters or more, found ${letters.length}`);
  for (const href of letters) await carol.open(new URL(href, cfg.base).toString(), `letter ${href.split('/').pop()}`);
  // large print at 16 pt or more (RNIB's clear print), in Chromium's computed style, on screen and on paper
  for (const media of ['screen', 'print']) {
    await carol.page.emulateMedia({ media });
    const sizes = await carol.page.locator('article.app-letter--large-print p, article.app-letter--large-print li')
      .evaluateAll((els) => els.map((el) => parseFloat(getComputedStyle(el).fontSize)));
    run.check(sizes.length > 0 && Math.min(...sizes) >= (16 * 96) / 72, 'assert', carol.label(`large-print letter (${media})`),
      `every paragraph at 16 pt (21.33 px) or more; got ${sizes.length ? Math.min(...sizes) : 'no paragraphs'} px`);
  }
  await carol.page.emulateMedia({ media: 'screen' });
  await carol.open(new URL(`${letters[0]}?format=plain-text`, cfg.base).toString(), 'a letter as plain text');
  await carol.page.emulateMedia({ media: 'print' });
  await carol.inspect('letter (print)', { print: true, key: 'GET cases/{id}/letters/{n} 200' });
  await carol.page.emulateMedia({ media: 'screen' });
  // close without action, on a referral of its own; absences
  await alice.open('concerns/new', 'concern form');
  await fillConcern(alice, { name: 'Cal Closed', reference: `CLS-${cfg.stamp}`, summary: 'A dispute about a parking permit.', criteria: [CRITERIA.excessive] });
  await alice.follow(alice.button('Raise the concern'), 'case page after raising (to be closed)', { redirect: true });
  await stepFromCase(carol, caseIdFrom(alice.page.url()), 'close');
  await carol.fill('Why no action is needed', 'The customer has moved away.');
  await submitStep(carol, 'close');
  // R15: an interim restriction after violence, lifted early by the CEM with a reason
  await alice.open('concerns/new', 'concern form');
  await fillConcern(alice, { name: 'Ivo Interim', reference: `INT-${cfg.stamp}`, summary: 'Raised a fist at the counter.', criteria: [CRITERIA.violence] });
  await alice.follow(alice.button('Raise the concern'), 'case page after raising (interim in force)', { redirect: true });
  const interimId = caseIdFrom(alice.page.url());
  await emptyStep(carol, interimId, 'interim-lift');
  await stepFromCase(carol, interimId, 'interim-lift');
  await carol.fill('Why the interim restriction is lifted', 'The officer confirms no threat was made.');
  await submitStep(carol, 'interim-lift');
  await chris.open('absences', 'absences');
  await chris.follow(chris.button('Record absence'), 'absences form submitted empty', { status: 422 });
  await chris.expectErrors('absences form submitted empty');
  await chris.date('First day of the absence', addDays(today, 200));
  await chris.date('Last day of the absence', addDays(today, 207));
  await chris.fill('Note (optional)', 'Conference');
  await chris.follow(chris.button('Record absence'), 'absences: recorded', { redirect: true });
  run.check(await chris.banner() === 'Absence recorded', 'assert', chris.label('absences: recorded'), `banner "${await chris.banner()}"`);

}

// ---------------------------------------------------------------------------
// keyboard: the concern form with the keyboard only
// ---------------------------------------------------------------------------
async function focused(s) {
  return s.page.evaluate(() => {
    const el = document.activeElement;
    const cs = getComputedStyle(el);
    let ring = (cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) > 0 && cs.outlineColor !== 'rgba(0, 0, 0, 0)') ||
               (cs.boxShadow && cs.boxShadow !== 'none') || (cs.backgroundColor === 'rgb(255, 221, 0)');
    if (!ring && (el.type === 'radio' || el.type === 'checkbox')) {
      const label = document.querySelector(`label[for="${el.id}"]`);
      const before = label && getComputedStyle(label, '::before');
      ring = !!(before && before.boxShadow && before.boxShadow !== 'none');
    }
    const r = el.getBoundingClientRect();
    return {
      tag: el.tagName.toLowerCase(), id: el.id, type: el.type || '', name: el.name || '', value: el.value,
      checked: !!el.checked, text: (el.textContent || '').trim().slice(0, 60), cls: el.className || '',
      ring, visible: r.width > 0 && r.height > 0,
    };
  });
}

function stopKey(f) {
  return f.id || `${f.tag}:${f.text}`;
}

async function keyboard(run) {
  const cfg = run.cfg;
  const s = await run.as('alice');
  const P = (l) => s.label(l);
  const kb = s.page.keyboard;
  await s.open('concerns/new', 'concern form (keyboard)');

  // The skip link is the first stop and takes focus to the main content.
  await kb.press('Tab');
  let f = await focused(s);
  run.check(/govuk-skip-link/.test(f.cls) && f.text === 'Skip to main content' && f.visible && f.ring, 'keyboard', P('skip link'),
    `the first Tab stop should be a visible, focus-styled "Skip to main content", it is ${JSON.stringify(f)}`);
  await s.screenshot('skip link focused');
  await kb.press('Enter');
  f = await focused(s);
  run.check(f.id === 'main-content', 'keyboard', P('skip link'), `Enter on the skip link should move focus to <main>, it is on ${JSON.stringify(f)}`);

  // The order a person meets the fields in: the form's own order, one stop per
  // radio group.
  const expected = await s.page.evaluate(() => {
    const out = [];
    const seen = new Set();
    for (const el of document.querySelector('main form').elements) {
      if (!/^(INPUT|SELECT|TEXTAREA|BUTTON)$/.test(el.tagName) || el.type === 'hidden' || el.disabled) continue;
      if (el.type === 'radio') {
        if (seen.has(el.name)) continue;
        seen.add(el.name);
      }
      out.push(el.id || `${el.tagName.toLowerCase()}:${el.textContent.trim().slice(0, 60)}`);
    }
    return out;
  });

  // Pass 1: Tab through every stop, typing only the name, then Enter on the button.
  const order = [];
  for (let i = 0; i < expected.length; i++) {
    await kb.press('Tab');
    f = await focused(s);
    order.push(stopKey(f));
    run.check(f.ring && f.visible, 'focus-visible', P('concern form'), `no visible focus indicator on ${stopKey(f)}`);
    if (f.id === 'person-name') await kb.type('Kit Keyboard');
    if (f.id === 'person-reference') {
      // back one, forward one
      await kb.press('Shift+Tab');
      const back = await focused(s);
      run.check(back.id === 'person-name' && back.value === 'Kit Keyboard', 'keyboard', P('concern form'),
        `Shift+Tab from the reference should return to the name, it is on ${stopKey(back)}`);
      await kb.press('Tab');
    }
  }
  run.check(JSON.stringify(order) === JSON.stringify(expected), 'keyboard', P('concern form'),
    `Tab order differs from the form's order:\n  expected ${expected.join(', ')}\n  got      ${order.join(', ')}`);
  f = await focused(s);
  run.check(f.tag === 'button' && f.text === 'Raise the concern', 'keyboard', P('concern form'), `the last stop should be the submit button, it is ${stopKey(f)}`);
  await s.press('Enter', 'concern form sent with the keyboard, incomplete', { status: 422 });
  const errors = await s.expectErrorsKeyboard('concern form sent with the keyboard, incomplete');
  const target = errors && errors.target;

  // Pass 2: from the field the error link focused, fill in the rest by keyboard.
  f = await focused(s);
  run.check(f.id === 'person-reference' && target === 'person-reference', 'keyboard', P('concern form with errors'),
    `the first error should be about the reference and its link should focus it; focus is on ${stopKey(f)}`);
  // back to the first question: Shift+Tab past the name into the radio group, which
  // Chromium enters at its last radio; arrows move and select within the group
  await kb.press('Shift+Tab');
  f = await focused(s);
  run.check(f.id === 'person-name' && f.value === 'Kit Keyboard', 'keyboard', P('concern form with errors'),
    `Shift+Tab should reach the name, kept as typed; it is ${stopKey(f)} "${f.value}"`);
  await kb.press('Shift+Tab');
  f = await focused(s);
  run.check(f.type === 'radio' && f.name === 'exclusion', 'keyboard', P('concern form with errors'), `Shift+Tab should reach the exclusion radios, it is ${stopKey(f)}`);
  await kb.press('ArrowDown'); // from the last radio round to the first: "None of these"
  f = await focused(s);
  if (f.value !== 'none') {
    await kb.press('Home');
    f = await focused(s);
  }
  if (f.value !== 'none') await kb.press('Space');
  f = await focused(s);
  run.check(f.value === 'none' && f.checked, 'keyboard', P('concern form with errors'), `"None of these" should be selected: ${JSON.stringify(f)}`);
  await kb.press('Tab'); // name
  await kb.press('Tab'); // reference
  const typed = {
    'person-reference': `KBD-${cfg.stamp}`,
    'person-address': '3 Quay Street\nExampleton EX3 1AA',
    'person-date-of-birth-day': '5',
    'person-date-of-birth-month': '11',
    'person-date-of-birth-year': '1980',
    department: 'Planning',
    summary: 'Calls the planning desk many times a day about the same application.',
    'measures-taken': 'Both complaint stages answered; a named contact offered.',
  };
  const ticks = new Set(['excessive-contact', 'many-departments']);
  let guard = 0;
  for (;;) {
    if (guard++ > 80) throw new Error('Tab never reached the submit button');
    f = await focused(s);
    if (f.tag === 'button') break;
    if (typed[f.id]) await kb.type(typed[f.id]);
    if (f.type === 'checkbox' && f.name === 'criteria' && ticks.has(f.value)) await kb.press('Space');
    if (f.type === 'radio' && f.name === 'complaints_procedure') await kb.press('Space'); // first: Exhausted
    if (f.type === 'radio' && f.name === 'vulnerable') await kb.press('ArrowRight'); // Yes -> No
    await kb.press('Tab');
  }
  const state = await s.page.evaluate(() => {
    const fd = new FormData(document.querySelector('main form'));
    return { criteria: fd.getAll('criteria'), complaints: fd.get('complaints_procedure'), vulnerable: fd.get('vulnerable'),
      exclusion: fd.get('exclusion'), reference: fd.get('person_reference') };
  });
  run.check(JSON.stringify(state.criteria) === JSON.stringify(['excessive-contact', 'many-departments']) &&
            state.complaints === 'exhausted' && state.vulnerable === 'no' && state.exclusion === 'none', 'keyboard',
  P('concern form'), `Space and arrows should have set the choices: ${JSON.stringify(state)}`);
  await s.screenshot('concern form filled with the keyboard');
  await s.press('Enter', 'case page after sending with the keyboard', { redirect: true });
  run.check(/\/cases\/\d+\?done=raised(#main-content)?$/.test(s.page.url()) && /Concern raised/.test(await s.banner() || ''), 'keyboard',
    P('case page after sending with the keyboard'), `expected the case page with its banner, at ${s.page.url()}: "${await s.banner()}"`);
  await keyboardTriage(run);
}

// The post queue with the keyboard only: Tab to an item's "Decide" link,
// Enter, choose with Space, type the reason, Enter on the button.
async function keyboardTriage(run) {
  const cfg = run.cfg;
  const s = await run.as('carol');
  const kb = s.page.keyboard;
  await stepFromCase(s, cfg.cases.interim, 'correspondence');
  await s.date('Date received', cfg.today);
  await s.choose('How it came', 'Email');
  await s.fill('What it is about', 'Asks again about the parking fine (keyboard).');
  await submitStep(s, 'correspondence');
  await s.open('triage', 'the post queue (keyboard)');
  let f = null;
  for (let i = 0; i < 80; i++) {
    await kb.press('Tab');
    f = await focused(s);
    if (f.tag === 'a' && /^Decide/.test(f.text)) break;
  }
  run.check(f && f.tag === 'a' && /^Decide/.test(f.text) && f.ring && f.visible, 'keyboard', s.label('the post queue'),
    `Tab should reach a focus-styled "Decide" link, it stopped on ${f && stopKey(f)}`);
  await s.press('Enter', 'decide an item of post (keyboard)');
  const stops = [];
  for (let i = 0; i < 30; i++) {
    await kb.press('Tab');
    f = await focused(s);
    stops.push(stopKey(f));
    run.check(f.ring && f.visible, 'focus-visible', s.label('triage form'), `no visible focus indicator on ${stopKey(f)}`);
    if (f.type === 'radio' && f.name === 'decision') await kb.press('Space'); // first: Acknowledge only
    if (f.name === 'reason') await kb.type('Nothing new: the closed matter only.');
    if (f.tag === 'button' && f.text === STEPS.triage.button) break;
  }
  run.check(f.tag === 'button' && stops.some((k) => /^decision/.test(k)) && stops.includes('reason'), 'keyboard', s.label('triage form'),
  `Tab should pass the decision radios and the reason to the button: ${stops.join(', ')}`);
  await s.press('Enter', 'case page: item decided (keyboard)', { redirect: true });
  run.check(await s.banner() === STEPS.triage.done, 'keyboard', s.label('case page: item decided (keyboard)'),
    `expected the banner "${STEPS.triage.done}", got "${await s.banner()}"`);
}

// ---------------------------------------------------------------------------
// nojs: the pages work with JavaScript off
// ---------------------------------------------------------------------------
async function nojs(run) {
  const cfg = run.cfg;
  const alice = await run.as('alice', { js: false });
  await alice.open('concerns/new', 'concern form');
  // the skip link: without JavaScript, focus moves on from <main>
  await alice.page.keyboard.press('Tab');
  await alice.page.keyboard.press('Enter');
  await alice.page.keyboard.press('Tab');
  const first = await alice.page.evaluate(() => document.activeElement.name);
  run.check(first === 'exclusion', 'nojs', alice.label('skip link'), `after the skip link, Tab should reach the form's first question, it reached "${first}"`);
  await alice.follow(alice.button('Raise the concern'), 'concern form submitted empty', { status: 422 });
  await alice.expectErrors('concern form submitted empty');
  const person = { name: 'Noel Nojs', reference: `NJS-${cfg.stamp}`, summary: 'Rings the parking team every hour.', criteria: [CRITERIA.excessive] };
  await fillConcern(alice, person);
  await alice.follow(alice.button('Raise the concern'), 'case page after raising', { redirect: true });
  const id = caseIdFrom(alice.page.url());
  run.check(/Concern raised/.test(await alice.banner() || ''), 'nojs', alice.label('case page after raising'), `banner "${await alice.banner()}"`);

  const carol = await run.as('carol', { js: false });
  await carol.open('', 'dashboard');
  const table = carol.page.locator('table', { has: carol.page.locator('caption', { hasText: 'New referrals' }) });
  await carol.follow(carol.link(`Case ${id}`, table), 'case page (referred)');
  await carol.follow(carol.link(STEPS.warning.title), 'warning form');
  await carol.date('When was the customer asked to change?', cfg.today);
  await carol.choose('How?', 'By telephone');
  await carol.fill('What the customer was told', 'Please call once a day at most.');
  await submitStep(carol, 'warning', 'case page after the warning');
  // R19: the behaviour continued after the warning
  await carol.follow(carol.link(STEPS.contacts.title), 'add to the chronology form');
  await carol.date('Date of the contact', cfg.today);
  await carol.choose('How was the contact made?', 'Phone call');
  await carol.choose('Who made the contact?', 'From the customer');
  await carol.fill('What happened', 'Called again the next hour.');
  await submitStep(carol, 'contacts', 'case page after the contact');
  await carol.follow(carol.link(STEPS.report.title), 'report form');
  // without JavaScript, every restriction's details are on show, ready to fill
  const shown = await carol.group('Channels to decline').isVisible();
  run.check(shown, 'nojs', carol.label('report form'), 'without JavaScript the restrictions\' details (e.g. the channels to decline) must be visible');
  await fillReport(carol);
  await submitStep(carol, 'report', 'case page after the report');
  run.check((await carol.text(carol.page.locator('main .govuk-tag').first())) === 'Awaiting decision', 'nojs',
    carol.label('case page after the report'), 'the status should read Awaiting decision');
  // the post queue, recorded and decided with JavaScript off
  await recordAndDecidePost(carol, cfg.cases.interim, cfg.today, 'nojs');
}

// ---------------------------------------------------------------------------
// csrf: forms with no token, a stale one, another user's or a forged one are
// refused (403) and change nothing; csrf-control: the same forms with a good token
// made the same way are accepted (so the refusals were the token's doing).
// ---------------------------------------------------------------------------
function csrfForms(cfg) {
  const C = cfg.csrf.cases;
  const today = cfg.today;
  return [
    {
      user: 'alice', path: 'concerns/new', button: 'Raise the concern', what: 'raise a concern',
      fill: (s, n) => fillConcern(s, { name: 'Tess Token', reference: `TOK-${cfg.stamp}-${n}`, summary: 'Calls every hour.', criteria: [CRITERIA.excessive] }),
    },
    {
      user: 'carol', path: `cases/${C.referred}/warning`, button: 'Record warning', what: 'warn',
      fill: async (s) => {
        await s.date('When was the customer asked to change?', today);
        await s.choose('How?', 'By letter');
        await s.fill('What the customer was told', 'One call a day, please.');
      },
    },
    { user: 'carol', path: `cases/${C.warned}/report`, button: 'Send report', what: 'report', fill: (s) => fillReport(s) },
    {
      user: 'chris', path: `cases/${C.reported}/decision`, button: 'Record decision', what: 'decide',
      fill: async (s) => {
        await s.choose('Your decision', 'Approve the restrictions');
        await s.choose('Are the restrictions justified?', 'Yes');
        await s.choose('Are they proportionate?', 'Yes');
        await s.fill('Your reasons', 'Justified and proportionate.');
      },
    },
    {
      user: 'olive', path: `cases/${C.active}/grants`, button: 'Pass on the notice', what: 'pass the notice on',
      fill: async (s) => {
        await s.fill('User name of the officer', 'oscar');
        await s.fill('Why they need to know', 'Covers the front desk.');
        await s.date('Last day the notice is theirs', addDays(today, 10));
      },
    },
    { user: 'carol', path: `cases/${C.active}/grants`, button: 'Withdraw the notice from bob', what: 'withdraw a notice', fill: async () => {} },
    {
      user: 'chris', path: 'absences', button: 'Record absence', what: 'record an absence',
      fill: async (s) => {
        await s.date('First day of the absence', addDays(today, 300));
        await s.date('Last day of the absence', addDays(today, 301));
      },
    },
  ];
}

// Set (or remove, value null) the csrf_token of the form holding button.
async function setToken(s, button, value) {
  await s.button(button).evaluate((b, v) => {
    const input = b.form.querySelector('input[name="csrf_token"]');
    if (v === null) input.remove();
    else input.value = v;
  }, value);
}

async function csrf(run) {
  const cfg = run.cfg;
  const sessions = {};
  let n = 0;
  let submitted = 0;
  for (const form of csrfForms(cfg)) {
    const s = sessions[form.user] || (sessions[form.user] = await run.as(form.user));
    for (const variant of ['missing', 'empty', 'stale', 'other-user', 'forged']) {
      const label = `${form.what}, with a bad token: refused (403)`;
      await s.open(form.path, `${form.what} form`);
      await form.fill(s, n++);
      await setToken(s, form.button, variant === 'missing' ? null : variant === 'empty' ? '' : cfg.csrf.tokens[variant][form.user]);
      await s.follow(s.button(form.button), label, { status: 403 });
      const main = await s.text(s.page.getByRole('main'));
      run.check(/You cannot do this/.test(main) && /expired or did not come from this service/.test(main), 'csrf', s.label(label),
        `token ${variant}: expected the 403 page explaining the form has expired: "${main.slice(0, 200)}"`);
      submitted++;
    }
  }
  run.note(`refused submissions: ${submitted}`);
}

async function csrfControl(run) {
  const cfg = run.cfg;
  const sessions = {};
  let n = 100;
  for (const form of csrfForms(cfg)) {
    const s = sessions[form.user] || (sessions[form.user] = await run.as(form.user));
    await s.open(form.path, `${form.what} form`);
    await form.fill(s, n++);
    await setToken(s, form.button, cfg.csrf.tokens.fresh[form.user]);
    const label = `${form.what}, a good token made by the test`;
    const res = await s.navigate(() => s.button(form.button).click());
    const before = res.request().redirectedFrom();
    run.check(before && before.method() === 'POST' && (await before.response()).status() === 303, 'csrf', s.label(label),
      `with a good token the form should be accepted (303), got ${before ? (await before.response()).status() : res.status()}`);
    // where the user lands is judged by the journeys (see step-redirect there)
    run.check(res.status() === 200 && await s.banner(), 'step-redirect', s.label(label),
      `expected a 200 page with a success banner; got HTTP ${res.status()} "${await s.text(s.page.locator('h1'))}" at ${s.page.url()}`);
    await s.inspect(label, { key: `GET ${res.status()}` });
  }
}

// ---------------------------------------------------------------------------
// unavailable: the directory is down (test_browser.py stopped slapd)
// ---------------------------------------------------------------------------
async function unavailable(run) {
  const carol = await run.as('carol');
  const res = await carol.open('', 'home while the directory is down (503)', { status: 503 });
  run.check(res.headers()['retry-after'] === '5', 'assert', carol.label('home (503)'), `Retry-After: ${res.headers()['retry-after']}`);
  run.check(await carol.text(carol.page.locator('h1')) === 'Sorry, the service is unavailable', 'assert',
    carol.label('home (503)'), `h1 "${await carol.text(carol.page.locator('h1'))}"`);
}

// ---------------------------------------------------------------------------
const SCENARIOS = { journey, pages, steps, keyboard, nojs, csrf, 'csrf-control': csrfControl, unavailable };

async function main() {
  const [scenario, configFile, resultsFile] = process.argv.slice(2);
  if (scenario === 'required-coverage') { // what pages + steps must have run axe on
    console.log(JSON.stringify(requiredCoverage()));
    return;
  }
  if (!SCENARIOS[scenario] || !configFile) {
    console.error(`usage: node journeys.js (${Object.keys(SCENARIOS).join('|')}) CONFIG.json [RESULTS.json]`);
    process.exit(2);
  }
  const cfg = JSON.parse(fs.readFileSync(configFile, 'utf8'));
  const run = new Run(cfg, scenario);
  try {
    await run.start();
    await SCENARIOS[scenario](run);
  } catch (e) {
    run.fail('aborted', scenario, e.stack || String(e));
  } finally {
    await run.finish(resultsFile);
  }
}

module.exports = { SCENARIOS, addDays, fillConcern, CRITERIA, STEPS, requiredCoverage };

if (require.main === module) {
  main().catch((e) => {
    console.error(e.stack || e);
    process.exit(2);
  });
}
