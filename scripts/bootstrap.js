'use strict';
// Lets `npm run demo` / `npm run dev` work on a fresh clone: installs the project's
// dependencies when they are missing, then runs a TypeScript script through ts-node.
const { spawnSync } = require('node:child_process');
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..', '..');

function say(tag, message) {
	process.stderr.write(`[${tag}] ${message}\n`);
}

function ensureDependencies(tag) {
	const needed = ['ts-node', 'typescript', 'n8n-workflow', 'gulp'];
	if (needed.every((name) => existsSync(join(root, 'node_modules', name, 'package.json')))) {
		say(tag, 'dependencies: node_modules is there');
		return;
	}
	say(tag, 'dependencies: node_modules is missing, running npm ci ...');
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

/** Runs `main()` of a TypeScript module and exits with the code it returns. */
function runTypeScript(tag, file) {
	ensureDependencies(tag);
	require(join(root, 'node_modules', 'ts-node')).register({
		transpileOnly: true,
		project: join(root, 'tsconfig.json'),
	});
	const { main } = require(file);
	main().then(
		(code) => process.exit(code),
		(error) => {
			say(tag, `FAILED: ${error && error.stack ? error.stack : error}`);
			process.exit(1);
		},
	);
}

module.exports = { runTypeScript };
