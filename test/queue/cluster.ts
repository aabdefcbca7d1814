/**
 * An n8n queue-mode cluster for tests: PostgreSQL, Redis, a main instance and workers, each
 * with its own user folder and the packed package installed (as on separate machines), binary
 * data in the database. Every instance gets the main instance's address as WEBHOOK_URL: the
 * waiting-webhook URL an execution sends out is built on whichever worker runs the node.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import type { InstalledN8n } from '../n8n/install';
import { N8nHome } from '../n8n/n8n';
import { freePort, killGroup, tail } from '../n8n/proc';
import { startPostgres, startRedis, type Service } from './services';

export function log(message: string) {
	process.stderr.write(`[flora-queue] ${message}\n`);
}

/**
 * Why the queue tier cannot run on this machine, or undefined when it can: Redis and PostgreSQL
 * come from Debian's packages (installed on the fly only as root).
 */
export function queuePrerequisitesMissing(): string | undefined {
	const missing = [
		['redis-server', '/usr/bin/redis-server'],
		['postgresql', '/usr/lib/postgresql'],
		['psql (postgresql-client)', '/usr/bin/psql'],
	].filter(([, path]) => !existsSync(path));
	if (!missing.length) return undefined;
	if (process.getuid?.() === 0 && existsSync('/usr/bin/apt-get')) return undefined;
	return `${missing.map(([name]) => name).join(', ')} missing and not root, so they cannot be installed`;
}

/** A loud banner on stderr, so a skipped tier is not mistaken for a passed one. */
export function banner(lines: string[]) {
	const width = Math.max(...lines.map((l) => l.length)) + 4;
	const bar = '#'.repeat(width);
	process.stderr.write(
		`\n${bar}\n${lines.map((l) => `# ${l.padEnd(width - 4)} #`).join('\n')}\n${bar}\n\n`,
	);
}

export interface Worker {
	name: string;
	home: N8nHome;
	child: ChildProcess;
	logFile: string;
}

export interface ClusterOptions {
	dir: string;
	install: InstalledN8n;
	tarball: string;
	workers: number;
	concurrency: number;
	encryptionKey: string;
	/** Extra environment for every instance. */
	env?: Record<string, string>;
}

export class QueueCluster {
	readonly workers: Worker[] = [];
	main!: N8nHome;
	private redis?: Service;
	private postgres?: Service;
	private shared: Record<string, string> = {};

	constructor(readonly opts: ClusterOptions) {}

	get postgresPort(): number {
		if (!this.postgres) throw new Error('PostgreSQL is not running');
		return this.postgres.port;
	}

	/** PostgreSQL, Redis and the main instance's home (not started: import, then `startAll`). */
	async prepare(): Promise<N8nHome> {
		mkdirSync(join(this.opts.dir, 'files'), { recursive: true });
		this.redis = await startRedis(join(this.opts.dir, 'redis'));
		this.postgres = await startPostgres();
		const port = await freePort();
		this.shared = {
			EXECUTIONS_MODE: 'queue',
			QUEUE_BULL_REDIS_HOST: '127.0.0.1',
			QUEUE_BULL_REDIS_PORT: String(this.redis.port),
			DB_TYPE: 'postgresdb',
			DB_POSTGRESDB_HOST: '127.0.0.1',
			DB_POSTGRESDB_PORT: String(this.postgres.port),
			DB_POSTGRESDB_DATABASE: 'n8n',
			DB_POSTGRESDB_USER: 'postgres',
			N8N_DEFAULT_BINARY_DATA_MODE: 'database',
			// One address for callbacks, whichever instance builds the URL.
			WEBHOOK_URL: `http://localhost:${port}/`,
			...this.opts.env,
		};
		this.main = await N8nHome.create({
			install: this.opts.install,
			workDir: join(this.opts.dir, 'main'),
			filesDir: join(this.opts.dir, 'files'),
			port,
			env: this.shared,
			encryptionKey: this.opts.encryptionKey,
		});
		await this.main.installPackage(this.opts.tarball);
		return this.main;
	}

	async startAll(): Promise<void> {
		await this.main.start();
		for (let i = 1; i <= this.opts.workers; i++) {
			this.workers.push(await this.startWorker(`worker-${i}`));
		}
	}

	private async startWorker(name: string): Promise<Worker> {
		const { install } = this.opts;
		const home = await N8nHome.create({
			install,
			workDir: join(this.opts.dir, name),
			filesDir: join(this.opts.dir, 'files'),
			env: {
				...this.shared,
				QUEUE_HEALTH_CHECK_ACTIVE: 'true',
				QUEUE_HEALTH_CHECK_PORT: String(await freePort()),
			},
			encryptionKey: this.opts.encryptionKey,
		});
		await home.installPackage(this.opts.tarball);
		const logFile = join(home.logDir, 'worker.log');
		const fd = openSync(logFile, 'a');
		const child = spawn(
			install.nodeBin,
			[install.n8nBin, 'worker', `--concurrency=${this.opts.concurrency}`],
			{ cwd: home.workDir, env: home.env, stdio: ['ignore', fd, fd], detached: true },
		);
		closeSync(fd);
		const started = Date.now();
		while (!/n8n worker is now ready/i.test(readFileSync(logFile, 'utf8'))) {
			if (child.exitCode !== null)
				throw new Error(`${name} exited ${child.exitCode}:\n${tail(logFile, 40)}`);
			if (Date.now() - started > 90_000)
				throw new Error(`${name} not ready after 90 s:\n${tail(logFile, 40)}`);
			await new Promise((r) => setTimeout(r, 250));
		}
		log(`${name} ready (pid ${child.pid}, concurrency ${this.opts.concurrency})`);
		return { name, home, child, logFile };
	}

	/** Rows of a query on n8n's database, each as its fields (separated by a tab). */
	query(sql: string): string[][] {
		const out = execFileSync(
			'psql',
			[
				'-h',
				'127.0.0.1',
				'-p',
				String(this.postgresPort),
				'-U',
				'postgres',
				'-d',
				'n8n',
				'-At',
				'-F',
				'\t',
				'-c',
				sql,
			],
			{ encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 },
		);
		return out
			.split('\n')
			.filter(Boolean)
			.map((line) => line.split('\t'));
	}

	async stop(): Promise<void> {
		for (const w of this.workers) killGroup(w.child.pid, 'SIGKILL');
		await this.main?.stop();
		await this.redis?.stop();
		await this.postgres?.stop();
	}
}
