/**
 * n8n in queue mode: a main instance, Redis, two workers with their own user folders
 * (the package installed in each, as on separate machines), PostgreSQL, and binary data
 * in the database. Webhook calls build a PNG and create a FLORA asset on the simulator.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { startSimulator, type Simulator } from '../simulator';
import { ensureN8n, type InstalledN8n } from '../n8n/install';
import { resolveLine } from '../n8n/lines';
import { N8nHome } from '../n8n/n8n';
import { buildAndPack } from '../n8n/package';
import { freePort, killGroup, tail } from '../n8n/proc';
import { exampleWorkflow, simulatorCredential, type Workflow } from '../n8n/workflows';
import { startPostgres, startRedis, type Service } from './services';

const LINE = '2.41.1';
const CALLS = 40;
const WEBHOOK_PATH = 'flora-queue';

jest.setTimeout(15 * 60_000);

function log(message: string) {
	process.stderr.write(`[flora-queue] ${message}\n`);
}

/** The shipped example, triggered by a webhook: each call draws a PNG that differs by `n`. */
function queueWorkflow(): Workflow {
	const wf = exampleWorkflow('floraQueueHook01');
	const trigger = wf.nodes.find((n) => n.type === 'n8n-nodes-base.manualTrigger')!;
	const oldName = trigger.name;
	Object.assign(trigger, {
		name: 'Webhook',
		type: 'n8n-nodes-base.webhook',
		typeVersion: 2,
		webhookId: '7c1d6e2a-0f4b-4f7e-9b8a-00000000a001',
		parameters: { httpMethod: 'POST', path: WEBHOOK_PATH, responseMode: 'lastNode', options: {} },
	});
	wf.connections.Webhook = wf.connections[oldName];
	delete wf.connections[oldName];
	const draw = wf.nodes.find((n) => n.type === 'n8n-nodes-base.code')!;
	const code = String(draw.parameters.jsCode);
	draw.parameters.jsCode = code
		.replace(
			'const u32 =',
			'const n = Number($input.first().json.body?.n ?? 0);\nraw[1] = n & 255;\nraw[2] = (n >> 8) & 255;\nconst u32 =',
		)
		.replace(
			'file_name: `flora-flower-${new Date().toISOString().slice(0, 10)}.png`',
			'file_name: `frame-${n}.png`',
		);
	if (draw.parameters.jsCode === code)
		throw new Error('the example workflow changed: update queueWorkflow()');
	return wf;
}

interface Worker {
	name: string;
	home: N8nHome;
	child: ChildProcess;
	logFile: string;
}

describe(`n8n ${LINE} in queue mode (main + 2 workers, Redis, PostgreSQL, binary data in the database)`, () => {
	let dir: string;
	let install: InstalledN8n;
	let sim: Simulator;
	let redis: Service;
	let postgres: Service;
	let main: N8nHome;
	const workers: Worker[] = [];

	async function startWorker(
		name: string,
		env: Record<string, string>,
		tarball: string,
		key: string,
	): Promise<Worker> {
		const home = await N8nHome.create({
			install,
			workDir: join(dir, name),
			filesDir: join(dir, 'files'),
			env: {
				...env,
				QUEUE_HEALTH_CHECK_ACTIVE: 'true',
				QUEUE_HEALTH_CHECK_PORT: String(await freePort()),
			},
			encryptionKey: key,
		});
		await home.installPackage(tarball);
		const logFile = join(home.logDir, 'worker.log');
		const fd = openSync(logFile, 'a');
		const child = spawn(install.nodeBin, [install.n8nBin, 'worker', '--concurrency=10'], {
			cwd: home.workDir,
			env: home.env,
			stdio: ['ignore', fd, fd],
			detached: true,
		});
		closeSync(fd);
		const started = Date.now();
		while (!/n8n worker is now ready/i.test(readFileSync(logFile, 'utf8'))) {
			if (child.exitCode !== null)
				throw new Error(`${name} exited ${child.exitCode}:\n${tail(logFile, 40)}`);
			if (Date.now() - started > 90_000)
				throw new Error(`${name} not ready after 90 s:\n${tail(logFile, 40)}`);
			await new Promise((r) => setTimeout(r, 250));
		}
		log(`${name} ready (pid ${child.pid}) in ${Date.now() - started} ms`);
		return { name, home, child, logFile };
	}

	/** Executions each worker ran, from its own log. */
	function executionsBy(worker: Worker): string[] {
		return [
			...readFileSync(worker.logFile, 'utf8').matchAll(/Worker finished execution (\d+)/g),
		].map((m) => m[1]);
	}

	/** A worker's log from `offset` (bytes) on: the lines one test wrote, not the ones before it. */
	function logSince(worker: Worker, offset: number): string {
		return readFileSync(worker.logFile).subarray(offset).toString('utf8');
	}

	/** Executions started and not (yet) finished in a stretch of a worker's log. */
	function inFlight(logText: string): string[] {
		const ids = (pattern: RegExp) => [...logText.matchAll(pattern)].map((m) => m[1]);
		const finished = new Set(ids(/Worker finished execution (\d+)/g));
		return ids(/Worker started execution (\d+)/g).filter((id) => !finished.has(id));
	}

	async function fire(from: number, count: number) {
		return await Promise.all(
			Array.from({ length: count }, async (_, i) => {
				const n = from + i;
				try {
					const response = await fetch(`${main.baseUrl}/webhook/${WEBHOOK_PATH}`, {
						method: 'POST',
						headers: { 'content-type': 'application/json' },
						body: JSON.stringify({ n }),
						signal: AbortSignal.timeout(180_000),
					});
					return { n, status: response.status, body: await response.text() };
				} catch (error) {
					return { n, status: 0, body: String(error) };
				}
			}),
		);
	}

	/** Rows of a query on n8n's database, each as its space-separated fields. */
	function query(sql: string): string[][] {
		const out = execFileSync(
			'psql',
			[
				'-h',
				'127.0.0.1',
				'-p',
				String(postgres.port),
				'-U',
				'postgres',
				'-d',
				'n8n',
				'-At',
				'-F',
				' ',
				'-c',
				sql,
			],
			{ encoding: 'utf8' },
		);
		return out
			.trim()
			.split('\n')
			.filter(Boolean)
			.map((line) => line.split(' '));
	}

	/** Executions by status, from n8n's database. */
	function executionStatuses(): Record<string, number> {
		return Object.fromEntries(
			query('select status, count(*) from execution_entity group by status').map(
				([status, count]) => [status, Number(count)],
			),
		);
	}

	/** Status of each execution with an id above `afterId`, by id. */
	function executionsAfter(afterId: number): Map<string, string> {
		return new Map(
			query(`select id, status from execution_entity where id > ${afterId}`).map(
				([id, status]) => [id, status] as [string, string],
			),
		);
	}

	beforeAll(async () => {
		dir = mkdtempSync(join(tmpdir(), 'flora-queue-'));
		mkdirSync(join(dir, 'files'), { recursive: true });
		install = await ensureN8n(resolveLine(LINE));
		const { tarball } = await buildAndPack(join(dir, 'pack'));
		sim = await startSimulator({ quiet: true, latencyMs: 150 });
		redis = await startRedis(join(dir, 'redis'));
		postgres = await startPostgres();

		const shared: Record<string, string> = {
			EXECUTIONS_MODE: 'queue',
			QUEUE_BULL_REDIS_HOST: '127.0.0.1',
			QUEUE_BULL_REDIS_PORT: String(redis.port),
			DB_TYPE: 'postgresdb',
			DB_POSTGRESDB_HOST: '127.0.0.1',
			DB_POSTGRESDB_PORT: String(postgres.port),
			DB_POSTGRESDB_DATABASE: 'n8n',
			DB_POSTGRESDB_USER: 'postgres',
			N8N_DEFAULT_BINARY_DATA_MODE: 'database',
			// A killed worker's jobs are found stalled within seconds, not a minute.
			QUEUE_WORKER_LOCK_DURATION: '5000',
			QUEUE_WORKER_LOCK_RENEW_TIME: '2000',
			QUEUE_WORKER_STALLED_INTERVAL: '3000',
		};
		const key = 'flora-queue-test-encryption-key-0001';
		main = await N8nHome.create({
			install,
			workDir: join(dir, 'main'),
			filesDir: join(dir, 'files'),
			env: shared,
			encryptionKey: key,
		});
		await main.installPackage(tarball);
		await main.importCredentials([simulatorCredential(sim.apiBaseUrl, sim.apiKey)]);
		await main.importWorkflows([queueWorkflow()]);
		await main.activate('floraQueueHook01');
		await main.start();
		workers.push(await startWorker('worker-1', shared, tarball, key));
		workers.push(await startWorker('worker-2', shared, tarball, key));
		await main.waitForWebhook(WEBHOOK_PATH);
		log(`main on ${main.baseUrl}, Redis ${redis.port}, PostgreSQL ${postgres.port}`);
	}, 15 * 60_000);

	afterAll(async () => {
		for (const w of workers) killGroup(w.child.pid, 'SIGKILL');
		await main?.stop();
		await sim?.close();
		await redis?.stop();
		await postgres?.stop();
		if (dir && !process.env.FLORA_E2E_KEEP) rmSync(dir, { recursive: true, force: true });
	});

	test(`${CALLS} concurrent webhook calls: ${CALLS} ready assets, no duplicate, both workers take part`, async () => {
		sim.reset();
		const started = Date.now();
		const results = await fire(0, CALLS);
		const seconds = ((Date.now() - started) / 1000).toFixed(1);
		const failed = results.filter((r) => r.status !== 200);
		expect(failed).toEqual([]);
		const outputs = results.map(
			(r) => JSON.parse(r.body) as { asset_id: string; status: string; name: string },
		);
		expect(outputs.every((o) => o.status === 'ready')).toBe(true);
		expect(new Set(outputs.map((o) => o.asset_id)).size).toBe(CALLS);
		expect(outputs.map((o) => o.name).sort()).toEqual(
			Array.from({ length: CALLS }, (_, n) => `frame-${n}.png`).sort(),
		);

		expect(sim.assets()).toHaveLength(CALLS);
		expect(sim.assets({ status: 'ready' })).toHaveLength(CALLS);
		expect(sim.record.creates).toBe(CALLS);
		expect(sim.record.duplicatesPrevented).toBe(0);
		expect(new Set(sim.record.uploads.filter((u) => u.ok).map((u) => u.sha256)).size).toBe(CALLS);
		expect(sim.record.violations).toEqual([]);

		const perWorker = workers.map((w) => [w.name, executionsBy(w).length] as const);
		log(
			`${CALLS} calls in ${seconds} s; executions per worker: ${perWorker.map(([n, c]) => `${n} ${c}`).join(', ')}`,
		);
		for (const [, count] of perWorker) expect(count).toBeGreaterThan(0);
		expect(perWorker.reduce((sum, [, c]) => sum + c, 0)).toBe(CALLS);
	});

	test('a worker killed mid-run: no asset duplicated, every execution ends succeeded or failed on record', async () => {
		sim.reset();
		const [victim, survivor] = workers;
		const before = { survivor: executionsBy(survivor).length };
		// This test's own log lines and execution records start here.
		const victimLogOffset = readFileSync(victim.logFile).length;
		const survivorLogOffset = readFileSync(survivor.logFile).length;
		const lastIdBefore = Number(query('select coalesce(max(id), 0) from execution_entity')[0][0]);
		const calls = fire(1000, CALLS);
		// Kill once this test's executions are in flight on the victim (started, not finished).
		const started = Date.now();
		while (inFlight(logSince(victim, victimLogOffset)).length < 2) {
			if (Date.now() - started > 60_000)
				throw new Error('the victim worker never had executions of this test in flight');
			await new Promise((r) => setTimeout(r, 50));
		}
		killGroup(victim.child.pid, 'SIGKILL');
		await new Promise<void>((resolve) =>
			victim.child.exitCode !== null || victim.child.signalCode !== null
				? resolve()
				: victim.child.once('exit', () => resolve()),
		);
		// Everything the victim logged up to its death: what it started and never finished.
		const victimLog = logSince(victim, victimLogOffset);
		const diedWith = inFlight(victimLog);
		const startedOnVictim = [...victimLog.matchAll(/Worker started execution (\d+)/g)].length;
		log(
			`killed ${victim.name} (pid ${victim.child.pid}) ${Date.now() - started} ms after the first call, with executions ${diedWith.join(', ')} in flight`,
		);
		expect(diedWith.length).toBeGreaterThan(0);

		const results = await calls;
		const ok = results.filter((r) => r.status === 200);
		const notOk = results.filter((r) => r.status !== 200);
		const statuses = executionStatuses();
		const records = executionsAfter(lastIdBefore);
		const survivorLog = logSince(survivor, survivorLogOffset);
		const startedOnSurvivor = (id: string) =>
			new RegExp(`Worker started execution ${id}\\b`).test(survivorLog);
		// What became of each execution that died with the victim.
		const fates = diedWith.map((id) => ({
			id,
			status: records.get(id),
			rerunBySurvivor: startedOnSurvivor(id),
		}));
		const failedIds = [...records].filter(([, status]) => status !== 'success').map(([id]) => id);
		log(
			`killed-worker run: ${ok.length} calls succeeded, ${notOk.length} failed (answers ${JSON.stringify(
				notOk.reduce<Record<string, number>>(
					(m, r) => ({ ...m, [r.status]: (m[r.status] ?? 0) + 1 }),
					{},
				),
			)}); the victim had started ${startedOnVictim} executions in this test; survivor finished ${
				executionsBy(survivor).length - before.survivor
			}; assets ${sim.assets().length} (ready ${sim.assets({ status: 'ready' }).length}, pending ${
				sim.assets({ status: 'pending_upload' }).length
			}); execution records ${JSON.stringify(statuses)}; in flight on the killed worker ${JSON.stringify(
				fates,
			)}; failed executions ${failedIds.join(', ')}`,
		);

		// No asset twice: every frame name appears at most once.
		const names = sim.assets().map((a) => a.name);
		expect(new Set(names).size).toBe(names.length);
		expect(sim.record.duplicatesPrevented).toBe(0);
		// Every answered call is a ready asset of its own frame.
		for (const r of ok) {
			const asset = JSON.parse(r.body) as { status: string; name: string };
			expect(asset.status).toBe('ready');
		}
		const readyNames = new Set(sim.assets({ status: 'ready' }).map((a) => a.name));
		for (const r of ok) expect(readyNames.has(`frame-${r.n}.png`)).toBe(true);
		// Nothing silently lost: every call got an answer, and n8n recorded every execution
		// as finished one way or the other.
		expect(ok.length + notOk.length).toBe(CALLS);
		expect(notOk.every((r) => r.status >= 400 || r.status === 0)).toBe(true);
		const running = (statuses.running ?? 0) + (statuses.new ?? 0) + (statuses.waiting ?? 0);
		expect(running).toBe(0);

		// Each execution in flight on the victim when it died ended failed on record, and was not
		// rerun by the survivor (n8n does not rerun a crashed worker's jobs).
		for (const fate of fates) {
			expect(fate.status).toBeDefined();
			expect(['running', 'new', 'waiting', 'success']).not.toContain(fate.status);
			expect(fate.rerunBySurvivor).toBe(false);
		}
		// Failures come only from the victim (the survivor started none of the failed executions;
		// the victim may have taken jobs it had not logged yet), and each is one call answered
		// with an error.
		for (const id of diedWith) expect(failedIds).toContain(id);
		for (const id of failedIds) expect(startedOnSurvivor(id)).toBe(false);
		expect(notOk).toHaveLength(failedIds.length);
	});
});
