#!/usr/bin/env node
/**
 * `npm run bench`: installs what the benchmark needs when it is missing (the
 * dev dependencies on a clean clone, curl on a bare machine), then runs
 * test/bench/main.ts. Plain JavaScript, so it runs before anything is installed.
 */
'use strict';

const { spawnSync } = require('node:child_process');
const { existsSync } = require('node:fs');
const { join, resolve } = require('node:path');

const { ensureDependencies, runTypeScript } = require('../../scripts/run-ts');

const root = resolve(__dirname, '../..');
const say = (message) => process.stderr.write(`[bench] ${message}\n`);

function run(command, args) {
	const result = spawnSync(command, args, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
	return result.status === 0;
}

ensureDependencies('bench');

const hasCurl = () => spawnSync('curl', ['--version'], { stdio: 'ignore' }).status === 0;
if (!hasCurl()) {
	const canApt = process.getuid?.() === 0 && existsSync('/usr/bin/apt-get');
	if (!canApt) {
		say(
			'curl is missing and cannot be installed here (needs root and apt-get): install curl, then run again',
		);
		process.exit(1);
	}
	say("curl is missing: installing it with apt-get (it is the benchmark's upload baseline)");
	if (
		!run('apt-get', ['update', '-qq']) ||
		!run('apt-get', ['install', '-y', '-qq', 'curl']) ||
		!hasCurl()
	) {
		say('installing curl failed');
		process.exit(1);
	}
}

runTypeScript(join(__dirname, 'main.ts'), process.argv.slice(2), 'bench');
