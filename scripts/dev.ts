/**
 * `npm run dev`: n8n 2.41.1's editor on http://localhost:5678 with this package installed as
 * a community package, the FLORA simulator behind a "FLORA simulator" credential, and the
 * example workflow imported. `tsc --watch` rebuilds on every change; each successful build is
 * copied into n8n's nodes folder, where n8n (N8N_DEV_RELOAD=true) reloads the package without
 * a restart. Type "rs" + Enter to restart n8n; Ctrl-C stops everything.
 *
 * The n8n user folder lives in .tmp/n8n-dev/ and is kept between runs (FLORA_DEV_FRESH=1 starts
 * over). The owner account is provisioned from the environment, so there is no sign-up screen.
 * Ports: FLORA_DEV_PORT (n8n, 5678), FLORA_DEV_SIM_PORT (simulator API, 5690; upload host +1).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { createInterface } from 'node:readline';

import { startSimulator, type Simulator } from '../test/simulator';
import { ensureN8n } from '../test/n8n/install';
import { resolveLine } from '../test/n8n/lines';
import { N8nHome } from '../test/n8n/n8n';
import { REPO_ROOT } from '../test/n8n/package';
import { cleanEnv, killGroup, runToFiles, tail } from '../test/n8n/proc';
import { exampleWorkflow, SIM_CREDENTIAL, simulatorCredential } from '../test/n8n/workflows';

const DEV_DIR = join(REPO_ROOT, '.tmp', 'n8n-dev');
const WORKFLOW_ID = 'floraDevExample1';
const OWNER = {
	email: 'dev@flora-n8n.local',
	password: 'Flora-dev-1',
	firstName: 'Flora',
	lastName: 'Developer',
};
const say = (message: string) => process.stderr.write(`[dev] ${message}\n`);

function port(name: string, fallback: number): number {
	const value = Number(process.env[name] || fallback);
	if (!Number.isInteger(value) || value <= 0 || value > 65535)
		throw new Error(`${name} must be a port number`);
	return value;
}

/** What `npm pack` would ship, copied over the installed package: package.json and dist/. */
function copyBuild(packageDir: string): void {
	mkdirSync(packageDir, { recursive: true });
	cpSync(join(REPO_ROOT, 'package.json'), join(packageDir, 'package.json'));
	cpSync(join(REPO_ROOT, 'dist'), join(packageDir, 'dist'), { recursive: true });
}

export async function main(): Promise<number> {
	const line = resolveLine('2.41.1');
	const install = await ensureN8n(line, say);
	const n8nPort = port('FLORA_DEV_PORT', 5678);
	const simPort = port('FLORA_DEV_SIM_PORT', 5690);

	if (process.env.FLORA_DEV_FRESH === '1') rmSync(DEV_DIR, { recursive: true, force: true });
	const firstRun = !existsSync(join(DEV_DIR, 'user', '.n8n', 'database.sqlite'));
	mkdirSync(join(DEV_DIR, 'files'), { recursive: true });
	const keyFile = join(DEV_DIR, 'encryption-key');
	if (!existsSync(keyFile)) writeFileSync(keyFile, randomBytes(24).toString('hex'));

	say('npm run build ...');
	const buildLog = join(DEV_DIR, 'build.log');
	const build = await runToFiles('npm', ['run', 'build'], {
		cwd: REPO_ROOT,
		env: cleanEnv(),
		stdoutFile: buildLog,
	});
	if (build.code !== 0) {
		say(`npm run build FAILED:\n${tail(buildLog, 30)}`);
		return 1;
	}

	// n8n ships bcryptjs; the owner's password is given to n8n as a bcrypt hash.
	const bcrypt = require(join(install.root, 'node_modules', 'bcryptjs')) as {
		hashSync(s: string, rounds: number): string;
	};
	const n8n = await N8nHome.create({
		install,
		workDir: DEV_DIR,
		filesDir: join(DEV_DIR, 'files'),
		port: n8nPort,
		encryptionKey: readFileSync(keyFile, 'utf8').trim(),
		env: {
			N8N_DEV_RELOAD: 'true',
			N8N_INSTANCE_OWNER_MANAGED_BY_ENV: 'true',
			N8N_INSTANCE_OWNER_EMAIL: OWNER.email,
			N8N_INSTANCE_OWNER_FIRST_NAME: OWNER.firstName,
			N8N_INSTANCE_OWNER_LAST_NAME: OWNER.lastName,
			N8N_INSTANCE_OWNER_PASSWORD_HASH: bcrypt.hashSync(OWNER.password, 10),
			N8N_SECURE_COOKIE: 'false',
		},
	});
	copyBuild(n8n.packageDir);

	let sim: Simulator | undefined;
	let tsc: ChildProcess | undefined;
	let stopping = false;
	const stopAll = async () => {
		if (stopping) return;
		stopping = true;
		killGroup(tsc?.pid, 'SIGTERM');
		await n8n.stop();
		await sim?.close();
	};

	try {
		sim = await startSimulator({ apiPort: simPort, uploadPort: simPort + 1, quiet: true });
		say(`FLORA simulator on ${sim.apiBaseUrl}`);
		await n8n.importCredentials([simulatorCredential(sim.apiBaseUrl, sim.apiKey)]);
		if (firstRun) await n8n.importWorkflows([exampleWorkflow(WORKFLOW_ID)]);
		say(`starting n8n ${line.version} (Node ${install.nodeVersion}) on ${n8n.baseUrl} ...`);
		const serverLog = join(DEV_DIR, 'logs', 'n8n.log');
		const { ms } = await n8n.start({ logFile: serverLog });
		say(`n8n is up (${(ms / 1000).toFixed(1)} s)`);

		process.stdout.write(
			[
				'',
				`FLORA node dev environment: n8n ${line.version} with ${relative(DEV_DIR, n8n.packageDir)} copied from this build`,
				`  open          ${n8n.baseUrl}/workflow/${WORKFLOW_ID}   (example workflow "Generated image to FLORA")`,
				`  log in        ${OWNER.email} / ${OWNER.password}`,
				`  credential    "${SIM_CREDENTIAL.name}": API key ${sim.apiKey}, base URL ${sim.apiBaseUrl}`,
				`  simulator     curl ${sim.apiOrigin}/__sim/record   (faults: POST ${sim.apiOrigin}/__sim/faults)`,
				`  n8n log       ${relative(REPO_ROOT, serverLog)}`,
				'Edit nodes/ or credentials/: tsc --watch rebuilds, the build is copied into n8n and n8n reloads it',
				'(reopen the node panel to see description changes). Type "rs" + Enter to restart n8n. Ctrl-C stops everything.',
				'',
			].join('\n'),
		);

		const tscBin = join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
		// Its own process group, like n8n's: a terminal's Ctrl-C reaches only this script, which stops them in order.
		tsc = spawn(
			process.execPath,
			[tscBin, '-p', 'tsconfig.json', '--watch', '--preserveWatchOutput'],
			{
				cwd: REPO_ROOT,
				stdio: ['ignore', 'pipe', 'inherit'],
				detached: true,
			},
		);
		let compiles = 0;
		createInterface({ input: tsc.stdout as NodeJS.ReadableStream }).on('line', (text) => {
			const done = /Found (\d+) errors?\. Watching for file changes/.exec(text);
			if (!done) {
				if (/error TS\d+/.test(text)) process.stderr.write(`[tsc] ${text}\n`);
				return;
			}
			// The first compile only repeats what `npm run build` made.
			if (compiles++ === 0) return;
			if (done[1] !== '0') {
				say(`build has ${done[1]} error(s); n8n keeps the last good build`);
				return;
			}
			copyBuild(n8n.packageDir);
			say(
				`rebuilt; copied into n8n (hot reload: look for "Hot reload triggered" in ${relative(REPO_ROOT, serverLog)})`,
			);
		});

		createInterface({ input: process.stdin }).on('line', (text) => {
			if (text.trim() !== 'rs' || stopping) return;
			say('restarting n8n ...');
			void n8n
				.stop()
				.then(() => n8n.start({ logFile: serverLog }))
				.then(
					({ ms: t }) => say(`n8n restarted (${(t / 1000).toFixed(1)} s): ${n8n.baseUrl}`),
					(error: Error) => say(`restart FAILED: ${error.message}`),
				);
		});

		return await new Promise<number>((resolve) => {
			const finish = (code: number) => () => {
				say('stopping ...');
				void stopAll().then(() => {
					say('stopped');
					resolve(code);
				});
			};
			process.once('SIGINT', finish(0));
			process.once('SIGTERM', finish(0));
			tsc?.once('exit', (code) => {
				if (!stopping) {
					say(`tsc --watch exited (${code}); stopping`);
					finish(1)();
				}
			});
		});
	} catch (error) {
		await stopAll();
		throw error;
	}
}
