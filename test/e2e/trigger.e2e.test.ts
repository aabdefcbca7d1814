/**
 * End-to-end: the Flora Trigger in a real n8n (each line of FLORA_E2E_LINES) under `n8n start`,
 * called by the simulator's signed run callbacks and by forged requests. What n8n did is read
 * from its own database: executions, their output, and the trigger's saved static data.
 */
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { startSimulator, type Simulator } from '../simulator';
import {
	callbacksSettled,
	forge,
	post,
	runEvent,
	sign,
	startRun,
} from '../integration/harness/flora-trigger';
import { ensureN8n } from '../n8n/install';
import { resolveLines, type N8nLine } from '../n8n/lines';
import { N8nHome, PACKAGE_NAME } from '../n8n/n8n';
import { SIM_CREDENTIAL, workflow, type Workflow } from '../n8n/workflows';
import { runDir } from './run-dir';

jest.setTimeout(180_000);

const SKIP = process.env.FLORA_E2E_SKIP === '1';
const lines = SKIP ? [] : resolveLines();

const WEBHOOK_ID = '6c1f8d2a-3b4e-4f5a-9c6d-0000000f1a01';
const TRIGGER = 'Flora Trigger';

if (SKIP) {
	test.skip('end-to-end tier skipped by FLORA_E2E_SKIP=1', () => undefined);
} else {
	describe.each(lines.map((line) => [line.version, line] as [string, N8nLine]))(
		'Flora Trigger in n8n %s',
		triggerSuite,
	);
}

interface ExecutionRow {
	id: number | string;
	status: string;
	finished: number | boolean;
	data?: { resultData?: { runData?: Record<string, Array<{ data?: { main?: any[][] } }>> } };
}

function triggerSuite(version: string, line: N8nLine) {
	let sim: Simulator;
	let n8n: N8nHome;
	let url: string;

	const triggerWf: Workflow = workflow('floraE2eTrigger1', 'E2E Flora Trigger', [
		{
			id: '00000000-0000-4000-8000-0000000f1a01',
			name: TRIGGER,
			type: `${PACKAGE_NAME}.floraTrigger`,
			typeVersion: 1,
			position: [0, 0],
			webhookId: WEBHOOK_ID,
			parameters: { events: ['run.completed', 'run.failed'], options: {} },
			credentials: { floraApi: { ...SIM_CREDENTIAL } },
		},
	]);

	function scenario(name: string, fn: () => Promise<void>) {
		test(name, async () => {
			const started = Date.now();
			let ok = false;
			try {
				await fn();
				ok = true;
			} finally {
				const dir = runDir();
				appendFileSync(
					join(dir, 'timings.jsonl'),
					`${JSON.stringify({ line: version, scenario: `trigger: ${name}`, ms: Date.now() - started, ok })}\n`,
				);
				if (!ok)
					writeFileSync(join(dir, 'FAILED'), `${version}: trigger: ${name}\n`, { flag: 'a' });
			}
		});
	}

	async function executions(): Promise<ExecutionRow[]> {
		return (await n8n.query(
			`SELECT e.id, e.status, e.finished, d.data FROM execution_entity e
			 LEFT JOIN execution_data d ON d.executionId = e.id
			 WHERE e.workflowId = ? ORDER BY e.id`,
			[triggerWf.id],
			['data'],
		)) as ExecutionRow[];
	}

	/** Waits until n8n has saved `count` finished executions of the trigger's workflow. */
	async function settledExecutions(count: number): Promise<ExecutionRow[]> {
		const deadline = Date.now() + 60_000;
		for (;;) {
			const rows = await executions();
			const finished = rows.filter((r) => r.status !== 'running' && r.status !== 'new');
			if (finished.length >= count) return rows;
			if (Date.now() > deadline) {
				throw new Error(
					`n8n saved ${rows.length} executions (${rows.map((r) => r.status).join(', ')}), expected ${count}. Log: ${n8n.startLog}`,
				);
			}
			await new Promise((resolve) => setTimeout(resolve, 250));
		}
	}

	/** A request signed now with the workspace secret, as FLORA sends it. */
	function signed(body: Buffer, deliveryId: string) {
		const t = Math.floor(Date.now() / 1000);
		return {
			body,
			headers: {
				'content-type': 'application/json',
				'flora-webhook-id': deliveryId,
				'flora-event': 'run.completed',
				'flora-signature': `t=${t},v1=${sign(sim.webhookSecret, t, body)}`,
			},
		};
	}

	const outputOf = (row: ExecutionRow) =>
		row.data?.resultData?.runData?.[TRIGGER]?.[0]?.data?.main?.[0]?.[0]?.json as
			| Record<string, any>
			| undefined;

	beforeAll(async () => {
		const dir = join(runDir(), `trigger-n8n-${version}`);
		const files = join(dir, 'files');
		mkdirSync(files, { recursive: true });
		sim = await startSimulator({ quiet: true, runDurationMs: 300, callbackBackoffMs: 200 });
		const install = await ensureN8n(line);
		n8n = await N8nHome.create({ install, workDir: dir, filesDir: files });
		await n8n.installPackage(process.env.FLORA_E2E_TARBALL as string);
		await n8n.importCredentials([
			{
				...SIM_CREDENTIAL,
				type: 'floraApi',
				data: { apiKey: sim.apiKey, baseUrl: sim.apiBaseUrl, webhookSecret: sim.webhookSecret },
			},
		]);
		await n8n.importWorkflows([triggerWf]);
		await n8n.activate(triggerWf.id);
		await n8n.start();
		await n8n.waitForWebhook(`${WEBHOOK_ID}/flora`);
		url = `${n8n.baseUrl}/webhook/${WEBHOOK_ID}/flora`;
	}, 300_000);

	afterAll(async () => {
		await n8n?.stop();
		await sim?.close();
	});

	beforeEach(() => sim.reset());

	scenario('a signed callback from FLORA starts one execution with the full run', async () => {
		const before = (await executions()).length;
		const runId = await startRun(sim, url);
		const [callback] = await callbacksSettled(sim, runId);
		expect(callback.status).toBe(200);
		const rows = await settledExecutions(before + 1);
		expect(rows).toHaveLength(before + 1);
		const last = rows[rows.length - 1];
		expect(last.status).toBe('success');
		expect(outputOf(last)).toMatchObject({
			run_id: runId,
			status: 'completed',
			event: { id: callback.delivery_id, type: 'run.completed' },
		});
		expect((outputOf(last)?.outputs as unknown[]).length).toBeGreaterThan(0);
	});

	scenario('the signature is checked on the raw bytes n8n received (rawBody)', async () => {
		const before = (await executions()).length;
		const runId = await startRun(sim);
		sim.gen.finishRun(runId);
		// Spacing, a raw non-ASCII character and a \u escape: re-serialising the parsed body
		// would change these bytes and so the signature.
		const id = runEvent().id;
		const body = Buffer.from(
			`{ "id" : "${id}",\n  "type":"run.completed", "api_version":"2026-06-11", "created_at":${Date.now()},` +
				` "data":{"run_id":"${runId}","run_type":"generation","status":"completed","note":"caf\u00e9 \\u00e9"} }\n`,
		);
		expect(Buffer.from(JSON.stringify(JSON.parse(body.toString()))).equals(body)).toBe(false);
		const answer = await post(url, signed(body, id));
		expect(answer.status).toBe(200);
		const rows = await settledExecutions(before + 1);
		expect(rows).toHaveLength(before + 1);
		expect(rows[rows.length - 1].status).toBe('success');
		expect(outputOf(rows[rows.length - 1])).toMatchObject({
			run_id: runId,
			status: 'completed',
			event: { id, data: { note: 'café \u00e9' } },
		});
	});

	scenario(
		'a verified delivery whose run cannot be read gets 500, so FLORA retries it',
		async () => {
			const event = runEvent({ runId: 'run_unknown_to_flora' });
			const answer = await post(url, signed(Buffer.from(JSON.stringify(event)), event.id));
			expect(answer.status).toBe(500);
			expect(answer.text).not.toContain(sim.webhookSecret);
			expect(answer.text).not.toContain(sim.apiKey);
			// Not remembered: the same delivery is not answered as a repeat.
			const retry = await post(url, signed(Buffer.from(JSON.stringify(event)), event.id));
			expect(retry.status).toBe(500);
			expect(retry.json?.duplicate).toBeUndefined();
		},
	);

	scenario('forged and stale requests get 401 and start nothing', async () => {
		const before = (await executions()).length;
		const forged = [
			forge(runEvent(), { secrets: ['whsec_forged_by_someone'] }),
			forge(runEvent(), { signature: null }),
			forge(runEvent(), { secrets: [sim.webhookSecret], t: Math.floor(Date.now() / 1000) - 3600 }),
		];
		for (const request of forged) {
			const answer = await post(url, request);
			expect(answer.status).toBe(401);
			expect(answer.text).not.toContain(sim.webhookSecret);
			expect(answer.text).not.toContain(sim.apiKey);
		}
		// A genuine callback afterwards: had a forged one started anything, it would be saved first.
		const runId = await startRun(sim, url);
		await callbacksSettled(sim, runId);
		const rows = await settledExecutions(before + 1);
		expect(rows).toHaveLength(before + 1);
		expect(outputOf(rows[rows.length - 1])?.run_id).toBe(runId);
	});

	scenario('a duplicate delivery starts nothing new, also after n8n restarts', async () => {
		const before = (await executions()).length;
		sim.gen.injectCallbackFault({ kind: 'duplicate' });
		const runId = await startRun(sim, url);
		const sent = await callbacksSettled(sim, runId, 2);
		expect(sent.map((c) => c.status)).toEqual([200, 200]);
		let rows = await settledExecutions(before + 1);
		expect(rows).toHaveLength(before + 1);

		// n8n saved the delivery id in the workflow's static data.
		const [saved] = await n8n.query('SELECT staticData FROM workflow_entity WHERE id = ?', [
			triggerWf.id,
		]);
		const staticData = JSON.parse(saved.staticData) as Record<string, any>;
		expect(Object.keys(staticData[`node:${TRIGGER}`].deliveries)).toContain(sent[0].delivery_id);

		await n8n.stop();
		await n8n.start();
		await n8n.waitForWebhook(`${WEBHOOK_ID}/flora`);
		const again = await post(url, signed(Buffer.from(sent[0].body), sent[0].delivery_id));
		expect(again.status).toBe(200);
		expect(again.json).toMatchObject({ duplicate: true });
		// Then a new run: its execution is the only one added.
		const next = await startRun(sim, url);
		await callbacksSettled(sim, next);
		rows = await settledExecutions(before + 2);
		expect(rows).toHaveLength(before + 2);
		expect(outputOf(rows[rows.length - 1])?.run_id).toBe(next);
	});
}
