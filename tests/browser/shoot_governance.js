#!/usr/bin/env node
// The README's pictures of the governance page, in Debian's Chromium:
//
//   node shoot_governance.js BASE QUERY OUT_DIR
//
// BASE is the module's address (http://127.0.0.1:PORT/habitual), QUERY the page's
// period (year=2025&quarter=year); signs in as the auditor audrey (the rig's basic
// auth). Writes OUT_DIR/governance-full.png (the page's top, 1024 x 1300: the heading,
// the period form and the first chart with its table) and OUT_DIR/governance-refusals-full.png
// (the refusals by rule: chart and table); png_palette.js makes them small.
// tests/bench/governance_cost.py runs it on a generated 10,000-case database.
'use strict';

const path = require('path');
const { chromium } = require('playwright-core');
const { CHROMIUM, CHROMIUM_ARGS } = require('./axe_check');

async function main() {
  const [base, query, out] = process.argv.slice(2);
  if (!base || !query || !out) {
    console.error('usage: node shoot_governance.js BASE QUERY OUT_DIR');
    process.exit(2);
  }
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  try {
    const context = await browser.newContext({
      viewport: { width: 1024, height: 800 },
      httpCredentials: { username: 'audrey', password: 'password' },
    });
    const page = await context.newPage();
    const res = await page.goto(`${base}/governance?${query}`);
    if (!res || res.status() !== 200) throw new Error(`governance answered ${res && res.status()}`);
    const charts = await page.locator('svg[role="img"][aria-labelledby]').count();
    if (charts !== 3) throw new Error(`expected 3 charts, found ${charts}`);
    await page.screenshot({ path: path.join(out, 'governance-full.png'), fullPage: true,
      clip: { x: 0, y: 0, width: 1024, height: 1300 } });
    await page.locator('.app-figure', { has: page.locator('#chart-rules-title') })
      .screenshot({ path: path.join(out, 'governance-refusals-full.png') });
  } finally {
    await browser.close();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
