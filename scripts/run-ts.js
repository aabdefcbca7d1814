#!/usr/bin/env node
// The one way this project runs a TypeScript file outside jest, and the one bootstrap:
//   node scripts/run-ts.js <file.ts> [args...]
// Plain JavaScript, so it works on a fresh clone: when any dev dependency is missing it runs
// `npm ci` first, then runs the file through ts-node (transpile only). A module that exports
// `main()` is run and the process exits with the code it returns; any other module runs itself.
'use strict';

const { spawnSync } = require('node:child_process');
const { existsSync } = require('node:fs');
const { basename, join, resolve } = require('node:path');

const root = join(__dirname, '..');

function say(tag, message) {
	process.stderr.write(`[${tag}] ${message}\n`);
}

/** Runs `npm ci` when a dev dependency of package.json is not installed. */
function ensureDependencies(tag) {
	const { devDependencies = {} } = require(join(root, 'package.json'));
	const missing = Object.keys(devDependencies).filter(
		(name) => !existsSync(join(root, 'node_modules', name, 'package.json')),
	);
	if (missing.length === 0) return;
	say(tag, `dependencies missing (${missing.slice(0, 4).join(', ')}…): running npm ci ...`);
	const started = Date.now();
	const result = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], {
		cwd: root,
		stdio: ['ignore', 'inherit', 'inherit'],
	});
	if (result.status !== 0) {
		say(tag, `npm ci FAILED (exit ${result.status ?? result.signal})`);
		process.exit(1);
	}
	say(tag, `dependencies installed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

/** Options for running TypeScript in a child process the same way (`node -r ts-node/register/transpile-only`). */
const TS_CHILD = {
	args: ['-r', 'ts-node/register/transpile-only'],
	// ts-node tries .ts before .json: Flora.node.json sits beside Flora.node.ts.
	env: { TS_NODE_PREFER_TS_EXTS: 'true' },
};

function runTypeScript(file, args = [], tag = basename(file, '.ts')) {
	ensureDependencies(tag);
	Object.assign(process.env, TS_CHILD.env);
	require(join(root, 'node_modules', 'ts-node')).register({
		transpileOnly: true,
		preferTsExts: true,
		project: join(root, 'tsconfig.json'),
	});
	const path = resolve(root, file);
	process.argv = [process.argv[0], path, ...args];
	const loaded = require(path);
	if (typeof loaded.main !== 'function') return;
	loaded.main().then(
		(code) => process.exit(typeof code === 'number' ? code : 0),
		(error) => {
			say(tag, `FAILED: ${error && error.stack ? error.stack : error}`);
			process.exit(1);
		},
	);
}

module.exports = { ensureDependencies, runTypeScript, TS_CHILD };

if (require.main === module) {
	const [file, ...args] = process.argv.slice(2);
	if (!file) {
		say('run-ts', 'usage: node scripts/run-ts.js <file.ts> [args...]');
		process.exit(2);
	}
	runTypeScript(file, args);
}
