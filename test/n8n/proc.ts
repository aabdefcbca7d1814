import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';

export interface RunResult {
	code: number | null;
	signal: NodeJS.Signals | null;
	ms: number;
}

/**
 * Runs a command to completion with stdout and stderr in files. Never spawnSync: the
 * simulator often runs in this same process and must keep answering meanwhile.
 */
export function runToFiles(
	command: string,
	args: string[],
	opts: {
		cwd?: string;
		env?: NodeJS.ProcessEnv;
		stdoutFile: string;
		stderrFile?: string;
		timeoutMs?: number;
	},
): Promise<RunResult> {
	const started = Date.now();
	const out = openSync(opts.stdoutFile, 'a');
	const err = opts.stderrFile ? openSync(opts.stderrFile, 'a') : out;
	return new Promise((resolve, reject) => {
		const child = spawn(command, args, {
			cwd: opts.cwd,
			env: opts.env,
			stdio: ['ignore', out, err],
			detached: true,
		});
		let timer: NodeJS.Timeout | undefined;
		if (opts.timeoutMs) {
			timer = setTimeout(() => killGroup(child.pid, 'SIGKILL'), opts.timeoutMs);
		}
		child.on('error', (e) => {
			if (timer) clearTimeout(timer);
			reject(e);
		});
		child.on('close', (code, signal) => {
			if (timer) clearTimeout(timer);
			closeSync(out);
			if (err !== out) closeSync(err);
			resolve({ code, signal, ms: Date.now() - started });
		});
	});
}

/** Signals the whole process group a detached child leads (n8n spawns its task runner). */
export function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
	if (!pid) return;
	try {
		process.kill(-pid, signal);
	} catch {
		try {
			process.kill(pid, signal);
		} catch {
			// already gone
		}
	}
}

export function tail(file: string, lines = 40): string {
	if (!existsSync(file)) return `(no ${file})`;
	const text = readFileSync(file, 'utf8').split('\n');
	return text.slice(-lines).join('\n');
}

export async function freePort(): Promise<number> {
	return await new Promise((resolve, reject) => {
		const server = createServer();
		server.once('error', reject);
		server.listen(0, '127.0.0.1', () => {
			const address = server.address();
			const port = typeof address === 'object' && address ? address.port : 0;
			server.close(() => resolve(port));
		});
	});
}

/**
 * The parent's environment minus what would leak into a child npm or n8n: npm's
 * per-script variables (npm_config_local_prefix would point a nested npm at this
 * repository), the test runner's, and any n8n or database settings of the developer's own shell.
 */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
	const env: NodeJS.ProcessEnv = {};
	for (const [key, value] of Object.entries(process.env)) {
		if (
			/^npm_(package_|lifecycle_|command$|config_(local_prefix|call|allow_scripts|nodedir)$)/.test(
				key,
			)
		) {
			continue;
		}
		if (/^(N8N_|DB_|EXECUTIONS_|QUEUE_|WEBHOOK_URL$|GENERIC_TIMEZONE$|NODE_OPTIONS$)/.test(key))
			continue;
		// Jest sets NODE_ENV=test, which makes n8n's CLI silent and skip its work.
		if (/^(NODE_ENV|JEST_WORKER_ID)$/.test(key)) continue;
		env[key] = value;
	}
	return { ...env, ...extra };
}

export function elapsed(ms: number): string {
	return ms < 60_000
		? `${(ms / 1000).toFixed(1)} s`
		: `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}
