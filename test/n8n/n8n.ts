import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
	closeSync,
	existsSync,
	mkdirSync,
	openSync,
	readFileSync,
	statSync,
	writeFileSync,
} from 'node:fs';
import { delimiter, dirname, join } from 'node:path';

import type { InstalledN8n } from './install';
import { cleanEnv, elapsed, freePort, killGroup, runToFiles, tail } from './proc';

export const PACKAGE_NAME = 'n8n-nodes-flora';
export { NODE_TYPE } from '../shared/flora';

export interface N8nHomeOptions {
	install: InstalledN8n;
	/** Parent folder for the user folder, workflow files and logs of this home. */
	workDir: string;
	/** The only folder the Read/Write Files from Disk node may read (N8N_RESTRICT_FILE_ACCESS_TO). */
	filesDir: string;
	/** Fixed editor/webhook port (default: a free one). */
	port?: number;
	/** Extra environment for every n8n process of this home. */
	env?: Record<string, string>;
	/** Fixed key, for a user folder kept across runs (default: a new random key). */
	encryptionKey?: string;
}

export interface CliResult {
	label: string;
	code: number | null;
	ms: number;
	stdoutFile: string;
	logFile: string;
}

/** What `n8n execute --rawOutput` printed: the run (IRun) as JSON, or nothing parseable. */
export class Execution {
	constructor(
		readonly cli: CliResult,
		readonly run: RawRun | undefined,
	) {}

	get ok(): boolean {
		if (this.cli.code !== 0 || !this.run || this.error) return false;
		// n8n 1.123.0 reports a finished, successful CLI run as status "running".
		return (
			this.run.status === 'success' || (this.run.status === 'running' && this.run.finished === true)
		);
	}

	/** The workflow's error (a node that threw without Continue On Fail). */
	get error(): { message?: string; description?: string; node?: { name?: string } } | undefined {
		return this.run?.data?.resultData?.error;
	}

	runs(nodeName: string): RawNodeRun[] {
		return this.run?.data?.resultData?.runData?.[nodeName] ?? [];
	}

	/** Output items of a node's first run (main output 0 unless said otherwise). */
	items(nodeName: string, output = 0): RawItem[] {
		const runs = this.runs(nodeName);
		if (!runs.length) {
			throw new Error(`node "${nodeName}" did not run.\n${this.explain()}`);
		}
		return runs[0].data?.main?.[output] ?? [];
	}

	/** The last lines of this n8n process's log, for failure messages. */
	explain(lines = 60): string {
		return `n8n ${this.cli.label} exited ${this.cli.code}; last lines of ${this.cli.logFile}:\n${tail(this.cli.logFile, lines)}`;
	}
}

export interface RawItem {
	json: Record<string, any>;
	binary?: Record<string, any>;
	pairedItem?: { item: number } | Array<{ item: number }> | number;
	error?: unknown;
}

export interface RawNodeRun {
	executionStatus?: string;
	error?: { message?: string; description?: string };
	data?: { main?: RawItem[][] };
}

export interface RawRun {
	status?: string;
	finished?: boolean;
	data?: {
		resultData?: {
			error?: { message?: string; description?: string; node?: { name?: string } };
			runData?: Record<string, RawNodeRun[]>;
		};
	};
}

/** n8n prints logs before the JSON and, on failure, a banner: the JSON starts at the first line that is `{`. */
export function parseRawOutput(text: string): RawRun | undefined {
	const lines = text.split('\n');
	const start = lines.findIndex((line) => line === '{');
	if (start < 0) return undefined;
	let end = lines.length;
	// Trailing log lines after the JSON are possible; the JSON's last line is `}`.
	while (end > start && lines[end - 1] !== '}') end--;
	try {
		return JSON.parse(lines.slice(start, end).join('\n')) as RawRun;
	} catch {
		return undefined;
	}
}

/**
 * One n8n "installation": a fresh user folder with its own SQLite database, encryption
 * key and ports, the community package extracted the way n8n installs it, and the CLI
 * commands run against it. Every command's output goes to a log file.
 */
export class N8nHome {
	readonly userFolder: string;
	readonly logDir: string;
	readonly port: number;
	readonly env: NodeJS.ProcessEnv;
	private seq = 0;
	private server?: ChildProcess;
	private serverLog?: string;

	private constructor(
		readonly install: InstalledN8n,
		readonly workDir: string,
		port: number,
		brokerPort: number,
		filesDir: string,
		extraEnv: Record<string, string>,
		encryptionKey: string,
	) {
		this.userFolder = join(workDir, 'user');
		this.logDir = join(workDir, 'logs');
		this.port = port;
		mkdirSync(join(this.userFolder, '.n8n'), { recursive: true });
		mkdirSync(this.logDir, { recursive: true });
		this.env = cleanEnv({
			// n8n's task runner is started as `node`: it must find the same Node as n8n.
			PATH: `${dirname(install.nodeBin)}${delimiter}${process.env.PATH ?? ''}`,
			N8N_USER_FOLDER: this.userFolder,
			N8N_ENCRYPTION_KEY: encryptionKey,
			DB_TYPE: 'sqlite',
			N8N_PORT: String(port),
			N8N_LISTEN_ADDRESS: '127.0.0.1',
			N8N_HOST: 'localhost',
			WEBHOOK_URL: `http://localhost:${port}/`,
			N8N_RUNNERS_BROKER_PORT: String(brokerPort),
			N8N_DIAGNOSTICS_ENABLED: 'false',
			N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
			N8N_TEMPLATES_ENABLED: 'false',
			N8N_PERSONALIZATION_ENABLED: 'false',
			N8N_HIRING_BANNER_ENABLED: 'false',
			N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS: 'true',
			N8N_GRACEFUL_SHUTDOWN_TIMEOUT: '5',
			N8N_LOG_LEVEL: 'info',
			N8N_LOG_OUTPUT: 'console',
			// Streamed uploads: binary data on disk, not base64 in the item.
			N8N_DEFAULT_BINARY_DATA_MODE: 'filesystem',
			N8N_RESTRICT_FILE_ACCESS_TO: filesDir,
			N8N_COMMUNITY_PACKAGES_ENABLED: 'true',
			...install.line.env,
			...extraEnv,
		});
	}

	static async create(opts: N8nHomeOptions): Promise<N8nHome> {
		const port = opts.port ?? (await freePort());
		let brokerPort = await freePort();
		while (brokerPort === port) brokerPort = await freePort();
		const key = opts.encryptionKey ?? randomBytes(24).toString('hex');
		return new N8nHome(
			opts.install,
			opts.workDir,
			port,
			brokerPort,
			opts.filesDir,
			opts.env ?? {},
			key,
		);
	}

	get version(): string {
		return this.install.line.version;
	}

	get baseUrl(): string {
		return `http://localhost:${this.port}`;
	}

	/** The folder n8n loads community packages from; the package goes in as `npm install` would put it. */
	get packageDir(): string {
		return join(this.userFolder, '.n8n', 'nodes', 'node_modules', PACKAGE_NAME);
	}

	/** Extracts an `npm pack` tarball into ~/.n8n/nodes/node_modules/n8n-nodes-flora. */
	async installPackage(tarball: string): Promise<void> {
		mkdirSync(this.packageDir, { recursive: true });
		const logFile = join(this.logDir, 'tar.log');
		const result = await runToFiles(
			'tar',
			['-xzf', tarball, '--strip-components=1', '-C', this.packageDir],
			{
				stdoutFile: logFile,
			},
		);
		if (result.code !== 0) throw new Error(`extracting ${tarball} failed:\n${tail(logFile)}`);
		const { version } = JSON.parse(readFileSync(join(this.packageDir, 'package.json'), 'utf8')) as {
			version: string;
		};
		// What n8n's own community-package installer leaves next to node_modules.
		writeFileSync(
			join(this.userFolder, '.n8n', 'nodes', 'package.json'),
			`${JSON.stringify({ name: 'installed-nodes', private: true, dependencies: { [PACKAGE_NAME]: version } }, null, 2)}\n`,
		);
	}

	/** Runs `n8n <args>` to completion; stdout in its own file (the JSON), everything in the log. */
	async cli(label: string, args: string[], timeoutMs = 120_000): Promise<CliResult> {
		const n = String(++this.seq).padStart(2, '0');
		const base = join(this.logDir, `${n}-${label.replace(/[^\w.-]+/g, '_')}`);
		const stdoutFile = `${base}.stdout`;
		const logFile = `${base}.log`;
		const result = await runToFiles(this.install.nodeBin, [this.install.n8nBin, ...args], {
			cwd: this.workDir,
			env: this.env,
			stdoutFile,
			stderrFile: logFile,
			timeoutMs,
		});
		// One file to read on failure: stderr first, then stdout.
		writeFileSync(logFile, readFileSync(stdoutFile, 'utf8'), { flag: 'a' });
		return { label, code: result.code, ms: result.ms, stdoutFile, logFile };
	}

	private async mustSucceed(label: string, args: string[]): Promise<CliResult> {
		const result = await this.cli(label, args);
		if (result.code !== 0) {
			throw new Error(
				`n8n ${this.version}: "n8n ${args.join(' ')}" exited ${result.code}. Last lines of ${result.logFile}:\n${tail(result.logFile, 60)}`,
			);
		}
		return result;
	}

	/** `n8n import:credentials`; plain `data` is encrypted with this home's key on import. */
	async importCredentials(credentials: object[]): Promise<void> {
		const file = join(this.workDir, 'credentials.json');
		writeFileSync(file, JSON.stringify(credentials, null, 2));
		await this.mustSucceed('import-credentials', ['import:credentials', `--input=${file}`]);
	}

	/** `n8n import:workflow --separate`: all workflows with one start-up of the CLI. */
	async importWorkflows(workflows: Array<{ id: string }>): Promise<void> {
		const dir = join(this.workDir, `workflows-${++this.seq}`);
		mkdirSync(dir, { recursive: true });
		for (const workflow of workflows) {
			writeFileSync(join(dir, `${workflow.id}.json`), JSON.stringify(workflow, null, 2));
		}
		await this.mustSucceed('import-workflows', ['import:workflow', '--separate', `--input=${dir}`]);
	}

	/** Makes a workflow's triggers live at the next `n8n start` (2.x publishes a version; 1.x sets it active). */
	async activate(workflowId: string): Promise<void> {
		if (this.install.line.major >= 2) {
			await this.mustSucceed('publish', ['publish:workflow', `--id=${workflowId}`]);
		} else {
			await this.mustSucceed('activate', [
				'update:workflow',
				`--id=${workflowId}`,
				'--active=true',
			]);
		}
	}

	/** `n8n execute --id --rawOutput`: exits 1 when the workflow failed, and still prints the run. */
	async execute(workflowId: string, timeoutMs = 120_000): Promise<Execution> {
		const cli = await this.cli(
			`execute-${workflowId}`,
			['execute', `--id=${workflowId}`, '--rawOutput'],
			timeoutMs,
		);
		const run = parseRawOutput(readFileSync(cli.stdoutFile, 'utf8'));
		return new Execution(cli, run);
	}

	/**
	 * `n8n start`: resolves once the editor answers /healthz and n8n has logged that it
	 * finished starting (workflow activation comes after the health check turns green).
	 */
	async start(
		opts: { timeoutMs?: number; logFile?: string } = {},
	): Promise<{ ms: number; logFile: string }> {
		if (this.server) throw new Error('n8n is already running');
		const started = Date.now();
		const logFile =
			opts.logFile ?? join(this.logDir, `${String(++this.seq).padStart(2, '0')}-start.log`);
		this.serverLog = logFile;
		// A restart appends to the same log: only what this process writes counts.
		const offset = existsSync(logFile) ? statSync(logFile).size : 0;
		const fd = openSync(logFile, 'a');
		const child = spawn(this.install.nodeBin, [this.install.n8nBin, 'start'], {
			cwd: this.workDir,
			env: this.env,
			stdio: ['ignore', fd, fd],
			detached: true,
		});
		closeSync(fd);
		this.server = child;
		let exited: string | undefined;
		child.once('exit', (code, signal) => {
			exited = `exited ${code ?? signal}`;
		});
		const deadline = started + (opts.timeoutMs ?? 90_000);
		for (;;) {
			if (exited) {
				this.server = undefined;
				throw new Error(
					`n8n start ${exited} before it was ready. Last lines of ${logFile}:\n${tail(logFile, 60)}`,
				);
			}
			if (Date.now() > deadline) {
				await this.stop();
				throw new Error(
					`n8n start was not ready after ${elapsed(Date.now() - started)}. Last lines of ${logFile}:\n${tail(logFile, 60)}`,
				);
			}
			if (
				/Editor is now accessible via/.test(readFileSync(logFile).subarray(offset).toString('utf8'))
			) {
				const health = await fetch(`${this.baseUrl}/healthz`).then(
					(r) => r.status,
					() => 0,
				);
				if (health === 200) return { ms: Date.now() - started, logFile };
			}
			await new Promise((r) => setTimeout(r, 200));
		}
	}

	/**
	 * Waits until a production webhook is registered. n8n activates workflows after the
	 * editor is up; a CORS preflight asks for the path's methods without running anything
	 * (204 once registered, 404 before).
	 */
	async waitForWebhook(path: string, method = 'POST', timeoutMs = 60_000): Promise<number> {
		const started = Date.now();
		for (;;) {
			const status = await fetch(`${this.baseUrl}/webhook/${path}`, {
				method: 'OPTIONS',
				headers: { Origin: 'http://localhost', 'Access-Control-Request-Method': method },
			}).then(
				(r) => r.status,
				() => 0,
			);
			if (status === 204 || status === 200) return Date.now() - started;
			if (!this.server) throw new Error('n8n is not running');
			if (Date.now() - started > timeoutMs) {
				throw new Error(
					`webhook "${method} ${path}" was not registered after ${elapsed(timeoutMs)} (last answer ${status}). Last lines of ${this.serverLog}:\n${tail(this.serverLog ?? '', 40)}`,
				);
			}
			await new Promise((r) => setTimeout(r, 250));
		}
	}

	/**
	 * Rows of a read-only query on this home's SQLite database, run by n8n's own Node with n8n's
	 * own sqlite3 module; JSON columns named in `flattedColumns` are decoded the way n8n stores
	 * execution data (flatted).
	 */
	async query(
		sql: string,
		params: unknown[] = [],
		flattedColumns: string[] = [],
	): Promise<Array<Record<string, any>>> {
		const script = [
			"const sqlite3 = require('sqlite3');",
			"const { parse } = require('flatted');",
			'const [file, sql, params, flatted] = JSON.parse(process.argv[1]);',
			'const db = new sqlite3.Database(file, sqlite3.OPEN_READONLY);',
			'db.all(sql, params, (error, rows) => {',
			'  if (error) { console.error(error.message); process.exit(1); }',
			'  for (const row of rows) for (const c of flatted) if (typeof row[c] === "string") row[c] = parse(row[c]);',
			'  process.stdout.write(JSON.stringify(rows));',
			'  db.close();',
			'});',
		].join('\n');
		const n = String(++this.seq).padStart(2, '0');
		const stdoutFile = join(this.logDir, `${n}-query.stdout`);
		const stderrFile = join(this.logDir, `${n}-query.log`);
		const file = join(this.userFolder, '.n8n', 'database.sqlite');
		const result = await runToFiles(
			this.install.nodeBin,
			['-e', script, JSON.stringify([file, sql, params, flattedColumns])],
			{
				cwd: join(this.install.root, 'node_modules', 'n8n'),
				env: this.env,
				stdoutFile,
				stderrFile,
			},
		);
		if (result.code !== 0) throw new Error(`query failed: ${tail(stderrFile, 20)}\n${sql}`);
		return JSON.parse(readFileSync(stdoutFile, 'utf8') || '[]') as Array<Record<string, any>>;
	}

	get running(): boolean {
		return this.server !== undefined;
	}

	get startLog(): string | undefined {
		return this.serverLog;
	}

	/** SIGTERM (n8n shuts down gracefully), then SIGKILL to the group after a grace period. */
	async stop(graceMs = 20_000): Promise<void> {
		const child = this.server;
		if (!child) return;
		this.server = undefined;
		if (child.exitCode !== null || child.signalCode !== null) {
			killGroup(child.pid, 'SIGKILL');
			return;
		}
		const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
		killGroup(child.pid, 'SIGTERM');
		const timer = new Promise<'timeout'>((resolve) =>
			setTimeout(() => resolve('timeout'), graceMs).unref(),
		);
		if ((await Promise.race([exited, timer])) === 'timeout') {
			killGroup(child.pid, 'SIGKILL');
			await exited;
		}
		// The task runner and anything else n8n left in its group.
		killGroup(child.pid, 'SIGKILL');
	}
}
