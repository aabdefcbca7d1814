/**
 * Redis and PostgreSQL for the queue-mode scenario, from Debian's packages, each on a
 * free loopback port with its data in a temporary folder, stopped by the test.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { freePort, killGroup } from '../n8n/proc';

export interface Service {
	port: number;
	stop(): Promise<void>;
}

function log(message: string) {
	process.stderr.write(`[flora-queue] ${message}\n`);
}

/** Installs Debian packages that are missing (CI and fresh machines run as root). */
export function ensureDebianPackages(packages: Record<string, string>): void {
	const missing = Object.entries(packages)
		.filter(([, binary]) => !existsSync(binary))
		.map(([name]) => name);
	if (!missing.length) return;
	if (process.getuid?.() !== 0) {
		throw new Error(
			`Queue-mode test needs ${missing.join(', ')} (apt-get install -y ${missing.join(' ')}); not root, cannot install them`,
		);
	}
	log(`installing ${missing.join(', ')} from Debian's packages…`);
	const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
	const install = () =>
		execFileSync('apt-get', ['install', '-y', '--no-install-recommends', ...missing], {
			stdio: 'inherit',
			env,
		});
	try {
		install();
	} catch {
		execFileSync('apt-get', ['update'], { stdio: 'inherit', env });
		install();
	}
}

function postgresBin(): string {
	const root = '/usr/lib/postgresql';
	const versions = existsSync(root) ? readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
	for (const version of versions) {
		const bin = join(root, version, 'bin');
		if (existsSync(join(bin, 'postgres'))) return bin;
	}
	throw new Error('PostgreSQL server binaries not found under /usr/lib/postgresql');
}

async function waitFor(check: () => boolean, what: string, timeoutMs = 30_000) {
	const started = Date.now();
	while (!check()) {
		if (Date.now() - started > timeoutMs)
			throw new Error(`${what} did not start within ${timeoutMs / 1000} s`);
		await new Promise((r) => setTimeout(r, 200));
	}
}

function stopper(child: ChildProcess): () => Promise<void> {
	return async () => {
		if (child.exitCode !== null || child.signalCode !== null) return;
		const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
		killGroup(child.pid, 'SIGTERM');
		const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 10_000).unref());
		if ((await Promise.race([exited, timeout])) === 'timeout') killGroup(child.pid, 'SIGKILL');
	};
}

export async function startRedis(dir: string): Promise<Service> {
	ensureDebianPackages({ 'redis-server': '/usr/bin/redis-server' });
	const port = await freePort();
	mkdirSync(dir, { recursive: true });
	const child = spawn(
		'/usr/bin/redis-server',
		[
			'--port',
			String(port),
			'--bind',
			'127.0.0.1',
			'--save',
			'',
			'--appendonly',
			'no',
			'--dir',
			dir,
		],
		{ stdio: 'ignore', detached: true },
	);
	await waitFor(() => {
		try {
			return (
				execFileSync('redis-cli', ['-p', String(port), 'ping'], {
					encoding: 'utf8',
					stdio: ['ignore', 'pipe', 'ignore'],
				}).trim() === 'PONG'
			);
		} catch {
			return false;
		}
	}, 'redis-server');
	log(`redis-server on 127.0.0.1:${port}`);
	return { port, stop: stopper(child) };
}

/** A throwaway PostgreSQL cluster; the server refuses to run as root, so it runs as `postgres`. */
export async function startPostgres(): Promise<Service & { database: string; user: string }> {
	ensureDebianPackages({ postgresql: '/usr/lib/postgresql' });
	const bin = postgresBin();
	const port = await freePort();
	// Directly under the temp root, owned by `postgres`: the server must reach it.
	const dir = mkdtempSync(join(tmpdir(), 'flora-pg-'));
	const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
	const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
	chownSync(dir, uid, gid);
	const data = join(dir, 'data');
	const asPostgres = (cmd: string, args: string[]) =>
		execFileSync('runuser', ['-u', 'postgres', '--', cmd, ...args], {
			encoding: 'utf8',
			stdio: ['ignore', 'pipe', 'pipe'],
		});
	asPostgres(join(bin, 'initdb'), ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync']);
	const child = spawn(
		'runuser',
		[
			'-u',
			'postgres',
			'--',
			join(bin, 'postgres'),
			'-D',
			data,
			'-p',
			String(port),
			'-k',
			dir,
			'-c',
			'listen_addresses=127.0.0.1',
			'-c',
			'fsync=off',
			'-c',
			'max_connections=200',
		],
		{ stdio: ['ignore', 'ignore', 'ignore'], detached: true },
	);
	await waitFor(() => {
		try {
			execFileSync(join(bin, 'pg_isready'), ['-h', '127.0.0.1', '-p', String(port)], {
				stdio: 'ignore',
			});
			return true;
		} catch {
			return false;
		}
	}, 'PostgreSQL');
	asPostgres(join(bin, 'createdb'), ['-h', '127.0.0.1', '-p', String(port), 'n8n']);
	log(`PostgreSQL on 127.0.0.1:${port}`);
	const stop = stopper(child);
	return {
		port,
		database: 'n8n',
		user: 'postgres',
		stop: async () => {
			await stop();
			rmSync(dir, { recursive: true, force: true });
		},
	};
}
