#!/usr/bin/env node
// `npm test`: every test tier this machine can run, in order, each with a loud
// banner. A tier that cannot run fails the whole run unless it is skipped on
// purpose (FLORA_SKIP_TIERS=e2e,browser,queue), and then says so in the summary.
'use strict';

const { spawnSync } = require('node:child_process');
const { existsSync, mkdirSync, readFileSync, rmSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..', '..');
const scripts = require(join(root, 'package.json')).scripts;
const skip = new Set(
	(process.env.FLORA_SKIP_TIERS || '')
		.split(',')
		.map((s) => s.trim())
		.filter(Boolean),
);
const out = join(root, '.tmp', 'test-results');
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

const tiers = [
	{ name: 'typecheck', script: 'typecheck' },
	{ name: 'unit', script: 'test:unit', jest: true },
	{ name: 'build', script: 'build' },
	{ name: 'integration', script: 'test:integration', jest: true },
	{ name: 'e2e', script: 'test:e2e', jest: true },
	{ name: 'browser', script: 'test:browser', jest: true },
	{ name: 'queue', script: 'test:queue', jest: true },
];

const banner = (text) => console.log(`\n${'='.repeat(78)}\n== ${text}\n${'='.repeat(78)}`);
const results = [];
let passed = 0;
let failed = 0;

for (const tier of tiers) {
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
	const seconds = ((Date.now() - started) / 1000).toFixed(1);
	let tierFailed = run.status !== 0;
	let status = tierFailed ? `FAILED (exit ${run.status})` : 'ok';
	let counts = '';
	let failedTests = 0;
	if (tier.jest) {
		const report = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : undefined;
		if (!report || report.numTotalTests === 0) {
			tierFailed = true;
			status = `FAILED (exit ${run.status}) — NO TESTS RAN`;
		} else {
			passed += report.numPassedTests;
			failedTests = report.numFailedTests;
			counts = `, ${report.numPassedTests} passed, ${report.numFailedTests} failed`;
			if (report.numPendingTests) counts += `, ${report.numPendingTests} skipped`;
			if (!tierFailed && report.numPassedTests === 0)
				status = 'SKIPPED by the tier itself — NOT TESTED';
		}
	}
	// A tier that failed without a failing test (crash, missing tool) still counts as one failure.
	failed += tierFailed ? Math.max(1, failedTests) : failedTests;
	results.push([tier.name, `${status} in ${seconds} s${counts}`]);
	if (tierFailed && (tier.name === 'typecheck' || tier.name === 'build')) break;
}

banner('SUMMARY');
for (const [name, text] of results) console.log(`${name.padEnd(12)} ${text}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
