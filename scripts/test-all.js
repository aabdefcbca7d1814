#!/usr/bin/env node
// `npm test`: every test tier this machine can run, in order, each with a loud
// banner. A tier that cannot run fails the whole run unless it is skipped on
// purpose (FLORA_SKIP_TIERS=e2e,browser,queue), and then says so in the summary.
// Under CI (the CI variable set) a tier that skipped itself fails the run too, and
// the summary names every test that did not run (FLORA's schema checks among them).
'use strict';

const { spawnSync } = require('node:child_process');
const { existsSync, mkdirSync, readFileSync, rmSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');

const TIERS = [
	{ name: 'typecheck', script: 'typecheck' },
	{ name: 'unit', script: 'test:unit', jest: true },
	{ name: 'build', script: 'build' },
	{ name: 'integration', script: 'test:integration', jest: true },
	{ name: 'e2e', script: 'test:e2e', jest: true },
	{ name: 'browser', script: 'test:browser', jest: true },
	{ name: 'queue', script: 'test:queue', jest: true },
];

/** Titles of the tests a jest JSON report lists as skipped (pending or todo). */
function skippedTests(report) {
	const titles = [];
	for (const file of report?.testResults ?? []) {
		for (const test of file.assertionResults ?? []) {
			if (test.status === 'pending' || test.status === 'skipped' || test.status === 'todo') {
				titles.push(test.fullName || test.title);
			}
		}
	}
	return titles;
}

/**
 * What one tier's run means for the summary: its status line, the tests it passed and how many
 * failures it adds. `report` is jest's JSON report (undefined for a tier that is not jest, or
 * when jest wrote none); `exitCode` is the npm script's; `ci` whether the CI variable is set.
 */
function tierOutcome({ jest, exitCode, seconds, report, ci }) {
	let failed = exitCode !== 0;
	let status = failed ? `FAILED (exit ${exitCode})` : 'ok';
	let counts = '';
	let passed = 0;
	let failedTests = 0;
	let skipped = [];
	if (jest) {
		if (!report || report.numTotalTests === 0) {
			failed = true;
			status = `FAILED (exit ${exitCode}) — NO TESTS RAN`;
		} else {
			passed = report.numPassedTests;
			failedTests = report.numFailedTests;
			skipped = skippedTests(report);
			counts = `, ${report.numPassedTests} passed, ${report.numFailedTests} failed`;
			if (report.numPendingTests) counts += `, ${report.numPendingTests} skipped`;
			if (!failed && report.numPassedTests === 0) {
				status = 'SKIPPED by the tier itself — NOT TESTED';
				if (ci) {
					failed = true;
					status += ' — FAILED because CI is set';
				}
			}
		}
	}
	return {
		status: `${status} in ${seconds} s${counts}`,
		passed,
		// A tier that failed without a failing test (crash, missing tool, CI skip) counts as one failure.
		failures: failed ? Math.max(1, failedTests) : failedTests,
		failed,
		skipped,
	};
}

/** Summary lines for tests that did not run; FLORA's schema checks get a line of their own. */
function notRunLines(skippedByTier) {
	const lines = [];
	const all = Object.entries(skippedByTier).flatMap(([tier, titles]) =>
		titles.map((title) => [tier, title]),
	);
	if (all.some(([, title]) => /OpenAPI/i.test(title))) {
		lines.push(
			"SCHEMA CHECKS DID NOT RUN: FLORA's OpenAPI files were not found (set FLORA_OPENAPI_DIR, or put them in ../shared/flora-api)",
		);
	}
	for (const [tier, title] of all) lines.push(`not run (${tier}): ${title}`);
	return lines;
}

function main() {
	require('./run-ts').ensureDependencies('test');
	const scripts = require(join(root, 'package.json')).scripts;
	const skip = new Set(
		(process.env.FLORA_SKIP_TIERS || '')
			.split(',')
			.map((s) => s.trim())
			.filter(Boolean),
	);
	const ci = Boolean(process.env.CI);
	const out = join(root, '.tmp', 'test-results');
	rmSync(out, { recursive: true, force: true });
	mkdirSync(out, { recursive: true });

	const banner = (text) => console.log(`\n${'='.repeat(78)}\n== ${text}\n${'='.repeat(78)}`);
	const results = [];
	const skippedByTier = {};
	let passed = 0;
	let failed = 0;

	for (const tier of TIERS) {
		if (skip.has(tier.name)) {
			banner(`TIER ${tier.name.toUpperCase()}: SKIPPED on request (FLORA_SKIP_TIERS) — NOT TESTED`);
			results.push([tier.name, 'SKIPPED (requested)']);
			continue;
		}
		if (!scripts[tier.script]) {
			banner(
				`TIER ${tier.name.toUpperCase()}: CANNOT RUN — package.json has no "${tier.script}" script`,
			);
			results.push([tier.name, 'FAILED (missing)']);
			failed++;
			continue;
		}
		banner(`TIER ${tier.name.toUpperCase()} (npm run ${tier.script})`);
		const started = Date.now();
		const file = join(out, `${tier.name}.json`);
		const args = ['run', tier.script];
		if (tier.jest) args.push('--', '--json', `--outputFile=${file}`);
		const run = spawnSync('npm', args, { cwd: root, stdio: 'inherit', env: process.env });
		const report =
			tier.jest && existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : undefined;
		const outcome = tierOutcome({
			jest: tier.jest,
			exitCode: run.status,
			seconds: ((Date.now() - started) / 1000).toFixed(1),
			report,
			ci,
		});
		passed += outcome.passed;
		failed += outcome.failures;
		if (outcome.skipped.length) skippedByTier[tier.name] = outcome.skipped;
		results.push([tier.name, outcome.status]);
		if (outcome.failed && (tier.name === 'typecheck' || tier.name === 'build')) break;
	}

	banner('SUMMARY');
	for (const [name, text] of results) console.log(`${name.padEnd(12)} ${text}`);
	for (const line of notRunLines(skippedByTier)) console.log(line);
	console.log(`${passed} passed, ${failed} failed`);
	process.exit(failed === 0 ? 0 : 1);
}

module.exports = { TIERS, tierOutcome, notRunLines, skippedTests };

if (require.main === module) main();
