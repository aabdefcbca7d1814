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
const skip = new Set((process.env.FLORA_SKIP_TIERS || '').split(',').map((s) => s.trim()).filter(Boolean));
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
		banner(`TIER ${tier.name.toUpperCase()}: CANNOT RUN — package.json has no "${tier.script}" script`);
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
	const ok = run.status === 0;
	let counts = '';
	let tierFailed = !ok;
	if (tier.jest) {
		const report = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : undefined;
		if (report) {
			passed += report.numPassedTests;
			failed += report.numFailedTests;
			counts = `, ${report.numPassedTests} passed, ${report.numFailedTests} failed`;
		}
		if (!report || report.numTotalTests === 0) {
			counts += ' — NO TESTS RAN';
			tierFailed = true;
		}
	}
	// A tier that failed without a failing test (crash, missing tool) still counts once.
	if (tierFailed && !(counts && !counts.includes('NO TESTS') && !counts.endsWith(', 0 failed'))) failed++;
	results.push([tier.name, `${tierFailed ? `FAILED (exit ${run.status})` : 'ok'} in ${seconds} s${counts}`]);
	if (tierFailed && (tier.name === 'typecheck' || tier.name === 'build')) break;
}

banner('SUMMARY');
for (const [name, text] of results) console.log(`${name.padEnd(12)} ${text}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
