/**
 * End-to-end: Options → Wait Mode "webhook" of Generation → Create in a real n8n (each line of
 * FLORA_E2E_LINES) under `n8n start`. A production webhook starts the workflow; the node sends
 * n8n's own waiting-webhook URL as the run's callback_url and the execution waits in n8n's
 * database (status `waiting`) while the simulator renders, until FLORA's signed callback resumes
 * it. Forged callbacks, a redelivery after the resume and several items whose runs end at
 * different times, and a Technique → Run whose run outlives Options → Timeout are checked against
 * n8n's database, the simulator's record and a side-effect counter behind the Flora node (an HTTP
 * Request per output item).
 */
import { createHash, randomBytes } from 'node:crypto';
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

import { startSimulator, type Simulator } from '../simulator';
import { forge, post, runEvent, sign } from '../integration/harness/flora-trigger';
import { ensureN8n } from '../n8n/install';
import { resolveLines, type N8nLine } from '../n8n/lines';
import { N8nHome } from '../n8n/n8n';
import { locator, sha256 } from '../shared/flora';
import {
	code,
	flora,
	readFiles,
	SIM_CREDENTIAL,
	webhookTrigger,
	workflow,
	workspaceId,
	type Workflow,
	type WorkflowNode,
} from '../n8n/workflows';
import { runDir } from './run-dir';

jest.setTimeout(180_000);

const SKIP = process.env.FLORA_E2E_SKIP === '1';
const lines = SKIP ? [] : resolveLines();

const FLORA = 'Flora';
const IMAGE_PATH = 'flora-wait-image';
const TEXT_PATH = 'flora-wait-text';
/** The Flora nodes' ids: n8n's waiting-webhook URL ends with the waiting node's id. */
const IMAGE_NODE_ID = '00000000-0000-4000-8000-0000000a1701';
const TEXT_NODE_ID = '00000000-0000-4000-8000-0000000a1702';
const TECH_NODE_ID = '00000000-0000-4000-8000-0000000a1704';
const TECH_PATH = 'flora-wait-technique';
/** Options → Timeout of the technique workflow, seconds. */
const TECH_TIMEOUT_S = 8;
/** Render time of a run that is let to end on its own (scenario a). */
const RENDER_MS = 10_000;
/** The first project the simulator seeds in ws_demo. */
const PROJECT = `prj_${createHash('sha1').update('ws_demo:0').digest('hex').slice(0, 20)}`;
/** Runs in the several-items scenario. */
const ITEMS = 5;

if (SKIP) {
	test.skip('end-to-end tier skipped by FLORA_E2E_SKIP=1', () => undefined);
} else {
	describe.each(lines.map((line) => [line.version, line] as [string, N8nLine]))(
		'Wait Mode webhook in n8n %s',
		waitSuite,
	);
}

interface ExecutionRow {
	id: number;
	status: string;
	finished: number | boolean;
	waitTill: string | number | null;
}

interface NodeRun {
	data?: {
		main?: Array<
			Array<{ json: Record<string, any>; binary?: Record<string, any>; pairedItem?: any }>
		>;
	};
	error?: { message?: string };
}

interface ExecutionData {
	resultData?: { error?: { message?: string }; runData?: Record<string, NodeRun[]> };
}

/** A loopback HTTP server counting the requests an HTTP Request node sends after the Flora node. */
async function startCounter(): Promise<{ url: string; hits: string[]; close(): Promise<void> }> {
	const hits: string[] = [];
	const server: Server = createServer((req, res) => {
		hits.push(req.url ?? '');
		res.setHeader('content-type', 'application/json');
		res.end('{"ok":true}');
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const { port } = server.address() as AddressInfo;
	return {
		url: `http://127.0.0.1:${port}`,
		hits,
		close: () => new Promise<void>((resolve) => server.close(() => resolve())),
	};
}

/** One request per item that reaches the node: `?e=<execution id>&run=<run_id>`. */
function counterNode(name: string, baseUrl: string): WorkflowNode {
	return {
		id: `00000000-0000-4000-8000-${randomBytes(6).toString('hex')}`,
		name,
		type: 'n8n-nodes-base.httpRequest',
		typeVersion: 4.2,
		position: [900, 200],
		parameters: {
			url: `=${baseUrl}/after?e={{ $execution.id }}&run={{ $json.run_id }}`,
			options: {},
		},
	};
}

function waitSuite(version: string, line: N8nLine) {
	let sim: Simulator;
	let n8n: N8nHome;
	let files: string;
	let counter: Awaited<ReturnType<typeof startCounter>>;
	let imageWf: Workflow;
	let textWf: Workflow;
	let pollTwinWf: Workflow;
	let techWf: Workflow;

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
					`${JSON.stringify({ line: version, scenario: `wait: ${name}`, ms: Date.now() - started, ok })}\n`,
				);
				if (!ok) writeFileSync(join(dir, 'FAILED'), `${version}: wait: ${name}\n`, { flag: 'a' });
			}
		});
	}

	async function executions(workflowId: string): Promise<ExecutionRow[]> {
		return (await n8n.query(
			'SELECT id, status, finished, waitTill FROM execution_entity WHERE workflowId = ? ORDER BY id',
			[workflowId],
		)) as ExecutionRow[];
	}

	async function executionData(id: number): Promise<ExecutionData> {
		const [row] = await n8n.query(
			'SELECT data FROM execution_data WHERE executionId = ?',
			[id],
			['data'],
		);
		return (row?.data ?? {}) as ExecutionData;
	}

	async function statusOf(id: number): Promise<string | undefined> {
		const [row] = await n8n.query('SELECT status FROM execution_entity WHERE id = ?', [id]);
		return row?.status as string | undefined;
	}

	/** Polls until `check` gives a value; the failure names what was awaited and n8n's log. */
	async function until<T>(
		what: string,
		check: () => Promise<T | undefined> | T | undefined,
		timeoutMs = 60_000,
	): Promise<T> {
		const deadline = Date.now() + timeoutMs;
		for (;;) {
			const value = await check();
			if (value !== undefined && value !== false) return value;
			if (Date.now() > deadline) {
				throw new Error(`${what}: not reached in ${timeoutMs / 1000} s. n8n log: ${n8n.startLog}`);
			}
			await new Promise((resolve) => setTimeout(resolve, 250));
		}
	}

	/** The execution the webhook call started (the first one above `afterId`), once it is in `status`. */
	async function executionIn(
		workflowId: string,
		afterId: number,
		status: string,
		timeoutMs = 60_000,
	): Promise<ExecutionRow> {
		return await until(
			`an execution of ${workflowId} in status "${status}"`,
			async () => {
				const rows = (await executions(workflowId)).filter((r) => r.id > afterId);
				if (rows.length > 1)
					throw new Error(`more than one execution started: ${JSON.stringify(rows)}`);
				const [row] = rows;
				if (row && row.status !== status && ['error', 'crashed', 'canceled'].includes(row.status)) {
					const data = await executionData(row.id);
					throw new Error(
						`execution ${row.id} ended ${row.status}: ${JSON.stringify(data.resultData?.error ?? data.resultData?.runData?.[FLORA]?.at(-1)?.error)}`,
					);
				}
				return row?.status === status ? row : undefined;
			},
			timeoutMs,
		);
	}

	async function lastExecutionId(workflowId: string): Promise<number> {
		const rows = await executions(workflowId);
		return rows.length ? Number(rows[rows.length - 1].id) : 0;
	}

	async function callWebhook(path: string, body: unknown): Promise<void> {
		const response = await fetch(`${n8n.baseUrl}/webhook/${path}`, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify(body),
		});
		expect(response.status).toBe(200);
		await response.text();
	}

	/** The Flora node's output items in an execution (its last run: the one after the resume). */
	async function floraOutput(id: number) {
		const data = await executionData(id);
		const runs = data.resultData?.runData?.[FLORA] ?? [];
		return { runs: runs.length, items: runs.at(-1)?.data?.main?.[0] ?? [], data };
	}

	/** A delivery signed as FLORA signs it, for `runId`, posted to `url`. */
	function genuine(runId: string, deliveryId?: string, t = Math.floor(Date.now() / 1000)) {
		const event = runEvent({ runId });
		const body = Buffer.from(JSON.stringify(deliveryId ? { ...event, id: deliveryId } : event));
		return {
			body,
			headers: {
				'content-type': 'application/json',
				'flora-webhook-id': deliveryId ?? event.id,
				'flora-event': 'run.completed',
				'flora-signature': `t=${t},v1=${sign(sim.webhookSecret, t, body)}`,
			},
		};
	}

	/** Starts one hanging run through the image workflow and returns it once the execution waits. */
	async function startWaitingImage(prompt: string) {
		const before = await lastExecutionId(imageWf.id);
		sim.gen.injectRunFault({ kind: 'hang', runType: 'generation' });
		await callWebhook(IMAGE_PATH, { prompt });
		const execution = await executionIn(imageWf.id, before, 'waiting');
		const [run] = sim.gen.runs();
		expect(sim.gen.runs()).toHaveLength(1);
		expect(run.status).toBe('running');
		return { execution, run, url: run.callback_url as string };
	}

	function expectCallbackUrl(url: string | undefined, executionId: number, nodeId: string) {
		expect(url).toBeDefined();
		const u = new URL(url as string);
		expect(u.origin).toBe(new URL(n8n.baseUrl).origin);
		expect(u.pathname).toBe(`/webhook-waiting/${executionId}/${nodeId}`);
		// n8n 2.x signs its waiting URLs; 1.x has no token for this kind of wait.
		if (line.major >= 2) expect(u.searchParams.get('signature')).toBeTruthy();
	}

	beforeAll(async () => {
		const dir = join(runDir(), `wait-n8n-${version}`);
		files = join(dir, 'files');
		mkdirSync(files, { recursive: true });
		counter = await startCounter();
		sim = await startSimulator({ quiet: true, runDurationMs: 300, callbackBackoffMs: 500 });

		const generation = (parameters: Record<string, unknown>, id: string): WorkflowNode => ({
			...flora(FLORA, {
				resource: 'generation',
				operation: 'create',
				workspace: workspaceId('ws_demo'),
				project: locator(PROJECT),
				...parameters,
			}),
			id,
		});
		const writeOutput: WorkflowNode = {
			...readFiles(''),
			name: 'Write Output',
			parameters: {
				operation: 'write',
				fileName: `={{ ${JSON.stringify(`${files}/wait-`)} + $json.run_id + '.png' }}`,
				dataPropertyName: 'data',
				options: {},
			},
		};
		const imageParameters = (waitMode: string) => ({
			type: 'image',
			model: locator('flora-image-1'),
			prompt: '={{ $json.body.prompt }}',
			options: { waitMode },
		});
		imageWf = workflow('floraE2eWaitImg1', 'E2E wait by webhook: image', [
			webhookTrigger(IMAGE_PATH, '5b0e7d1c-2a3f-4e4d-8c5b-0000000a1701'),
			generation(imageParameters('webhook'), IMAGE_NODE_ID),
			{ ...writeOutput },
			counterNode('After', counter.url),
		]);
		pollTwinWf = workflow('floraE2eWaitPol1', 'E2E wait by polling: image (twin)', [
			webhookTrigger(`${IMAGE_PATH}-poll`, '5b0e7d1c-2a3f-4e4d-8c5b-0000000a1703'),
			generation(imageParameters('poll'), '00000000-0000-4000-8000-0000000a1703'),
		]);
		textWf = workflow('floraE2eWaitTxt1', 'E2E wait by webhook: several items', [
			webhookTrigger(TEXT_PATH, '5b0e7d1c-2a3f-4e4d-8c5b-0000000a1702'),
			code(
				'Items',
				'return Array.from({ length: Number($input.first().json.body.count) }, (_, i) => ({ json: { i, prompt: `Item ${i}` } }));',
			),
			generation(
				{
					type: 'text',
					model: locator('gpt-4o'),
					prompt: '={{ $json.prompt }}',
					options: { waitMode: 'webhook', concurrency: 2 },
				},
				TEXT_NODE_ID,
			),
			counterNode('After', counter.url),
		]);

		techWf = workflow('floraE2eWaitTec1', 'E2E wait by webhook: technique with a timeout', [
			webhookTrigger(TECH_PATH, '5b0e7d1c-2a3f-4e4d-8c5b-0000000a1704'),
			code(
				'Items',
				'return Array.from({ length: Number($input.first().json.body.count) }, (_, i) => ({ json: { i, prompt: `Brief ${i}` } }));',
			),
			{
				...flora(FLORA, {
					resource: 'technique',
					operation: 'run',
					workspace: workspaceId('ws_demo'),
					technique: locator('caption-writer'),
					inputs: {
						mappingMode: 'defineBelow',
						value: { brief: '={{ $json.prompt }}' },
						matchingColumns: [],
						schema: [],
						attemptToConvertTypes: false,
						convertFieldsToString: false,
					},
					options: { waitMode: 'webhook', timeout: TECH_TIMEOUT_S },
				}),
				id: TECH_NODE_ID,
			},
		]);

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
		await n8n.importWorkflows([imageWf, pollTwinWf, textWf, techWf]);
		for (const wf of [imageWf, pollTwinWf, textWf, techWf]) await n8n.activate(wf.id);
		await n8n.start();
		for (const path of [IMAGE_PATH, `${IMAGE_PATH}-poll`, TEXT_PATH, TECH_PATH])
			await n8n.waitForWebhook(path);
	}, 300_000);

	afterAll(async () => {
		await n8n?.stop();
		await sim?.close();
		await counter?.close();
	});

	beforeEach(() => {
		sim.reset();
		sim.configure({ runDurationMs: 300 });
		counter.hits.length = 0;
	});

	scenario(
		'a. the execution waits in n8n while FLORA renders, then resumes with the output binary',
		async () => {
			sim.configure({ runDurationMs: RENDER_MS });
			const before = await lastExecutionId(imageWf.id);
			await callWebhook(IMAGE_PATH, { prompt: 'A ceramic vase on a sunlit table' });
			const waiting = await executionIn(imageWf.id, before, 'waiting', RENDER_MS);
			// Seen waiting while the run was still rendering, and FLORA was not polled meanwhile.
			const [run] = sim.gen.runs();
			expect(sim.gen.runs()).toHaveLength(1);
			expect(['pending', 'running']).toContain(sim.gen.run(run.run_id)!.status);
			expect(sim.gen.run(run.run_id)!.polls).toBe(0);
			expect(waiting.waitTill).toBeTruthy();
			expectCallbackUrl(run.callback_url, waiting.id, IMAGE_NODE_ID);
			expect(counter.hits).toEqual([]);

			const done = await executionIn(imageWf.id, before, 'success', RENDER_MS + 60_000);
			expect(done.id).toBe(waiting.id);
			const delivered = sim.record.callbacks.filter((c) => c.run_id === run.run_id);
			expect(delivered.map((c) => c.status)).toEqual([200]);

			const ended = sim.gen.run(run.run_id)!;
			expect(ended.status).toBe('completed');
			const { items } = await floraOutput(done.id);
			expect(items).toHaveLength(1);
			expect(items[0].json).toMatchObject({ run_id: run.run_id, status: 'completed' });
			expect(items[0].binary?.data).toMatchObject({ mimeType: 'image/png' });
			const file = await sim.gen.file(ended.outputs[0].url);
			const written = readFileSync(join(files, `wait-${run.run_id}.png`));
			expect(written.length).toBe(file.size);
			expect(sha256(written)).toBe(file.sha256);
			expect(counter.hits).toEqual([`/after?e=${done.id}&run=${run.run_id}`]);

			// The same node in poll mode outputs the same shape: json keys and binary properties.
			sim.reset();
			sim.configure({ runDurationMs: 300 });
			const beforePoll = await lastExecutionId(pollTwinWf.id);
			await callWebhook(`${IMAGE_PATH}-poll`, { prompt: 'A ceramic vase on a sunlit table' });
			const polled = await executionIn(pollTwinWf.id, beforePoll, 'success');
			const twin = (await floraOutput(polled.id)).items;
			expect(twin).toHaveLength(1);
			expect(Object.keys(items[0].json).sort()).toEqual(Object.keys(twin[0].json).sort());
			expect(Object.keys(items[0].binary ?? {})).toEqual(Object.keys(twin[0].binary ?? {}));
			const meta = (b: Record<string, any>) => ({
				mimeType: b.mimeType,
				fileExtension: b.fileExtension,
				fileSize: b.fileSize,
			});
			expect(meta(items[0].binary!.data)).toEqual(meta(twin[0].binary!.data));
		},
	);

	scenario(
		'b. forged, unsigned and stale callbacks get 401 and the execution keeps waiting',
		async () => {
			const { execution, run, url } = await startWaitingImage('A forged callback');
			expectCallbackUrl(url, execution.id, IMAGE_NODE_ID);
			const polls = sim.gen.run(run.run_id)!.polls;
			const event = () => runEvent({ runId: run.run_id });
			const forged = {
				'wrong secret': forge(event(), { secrets: ['whsec_forged_by_someone'] }),
				unsigned: forge(event(), { signature: null }),
				stale: forge(event(), {
					secrets: [sim.webhookSecret],
					t: Math.floor(Date.now() / 1000) - 3600,
				}),
				'signature of another body': {
					...genuine(run.run_id),
					body: Buffer.from(JSON.stringify(event())),
				},
			};
			for (const [kind, request] of Object.entries(forged)) {
				const answer = await post(url, request);
				expect({ kind, status: answer.status }).toEqual({ kind, status: 401 });
				expect(answer.json).toBeDefined();
				expect(answer.text).not.toContain(sim.webhookSecret);
				expect(answer.text).not.toContain(sim.apiKey);
				expect({ kind, status: await statusOf(execution.id) }).toEqual({ kind, status: 'waiting' });
			}
			// Nothing was read or started on their account.
			expect(sim.gen.run(run.run_id)!.polls).toBe(polls);
			expect(sim.gen.runs()).toHaveLength(1);
			expect(counter.hits).toEqual([]);

			// The genuine callback resumes it.
			sim.gen.finishRun(run.run_id);
			const done = await executionIn(imageWf.id, execution.id - 1, 'success');
			expect(done.id).toBe(execution.id);
			expect(
				sim.record.callbacks.filter((c) => c.run_id === run.run_id).map((c) => c.status),
			).toEqual([200]);
			const { items } = await floraOutput(done.id);
			expect(items.map((i) => i.json.run_id)).toEqual([run.run_id]);
			expect(counter.hits).toHaveLength(1);
		},
	);

	scenario('c. a redelivery after the resume continues nothing again', async () => {
		const { execution, run, url } = await startWaitingImage('A redelivered callback');
		sim.gen.finishRun(run.run_id);
		const done = await executionIn(imageWf.id, execution.id - 1, 'success');
		const [delivery] = sim.record.callbacks.filter((c) => c.run_id === run.run_id);
		expect(delivery.status).toBe(200);
		const before = {
			executions: (await executions(imageWf.id)).length,
			nodeRuns: (await floraOutput(done.id)).runs,
			polls: sim.gen.run(run.run_id)!.polls,
			downloads: sim.record.downloads.length,
			hits: counter.hits.length,
		};
		expect(before.hits).toBe(1);

		// FLORA's redelivery: same id and body, a fresh timestamp and signature.
		const body = Buffer.from(delivery.body);
		const t = Math.floor(Date.now() / 1000);
		const redelivery = await post(url, {
			body,
			headers: {
				'content-type': 'application/json',
				'flora-webhook-id': delivery.delivery_id,
				'flora-event': 'run.completed',
				'flora-signature': `t=${t},v1=${sign(sim.webhookSecret, t, body)}`,
			},
		});
		expect(redelivery.status).toBe(409);
		// And a fresh delivery id for the same run (as after a FLORA-side retry with a new id).
		const another = await post(url, genuine(run.run_id));
		expect(another.status).toBe(409);

		// Give a wrongly continued execution time to show up.
		await new Promise((resolve) => setTimeout(resolve, 3_000));
		expect(await statusOf(done.id)).toBe('success');
		expect({
			executions: (await executions(imageWf.id)).length,
			nodeRuns: (await floraOutput(done.id)).runs,
			polls: sim.gen.run(run.run_id)!.polls,
			downloads: sim.record.downloads.length,
			hits: counter.hits.length,
		}).toEqual(before);
	});

	scenario(
		`d. ${ITEMS} items whose runs end at different times: one execution, every item paired in input order`,
		async () => {
			const before = await lastExecutionId(textWf.id);
			sim.gen.injectRunFault({ kind: 'hang', runType: 'generation', times: ITEMS });
			await callWebhook(TEXT_PATH, { count: ITEMS });
			const waiting = await executionIn(textWf.id, before, 'waiting');
			await until(`${ITEMS} runs started`, () => sim.gen.runs().length === ITEMS || undefined);
			const runs = sim.gen.runs();
			expect(runs.every((r) => r.status === 'running')).toBe(true);
			for (const r of runs) expectCallbackUrl(r.callback_url, waiting.id, TEXT_NODE_ID);

			// End them out of order; until the last one ends the execution keeps waiting.
			const order = [3, 0, 4, 1, 2].filter((i) => i < ITEMS);
			for (const [n, index] of order.entries()) {
				const runId = runs[index].run_id;
				sim.gen.finishRun(runId);
				await until(`callback of ${runId} answered`, () =>
					sim.record.callbacks.find((c) => c.run_id === runId && c.status !== 'pending'),
				);
				if (n < order.length - 1) {
					expect(
						sim.record.callbacks.filter((c) => c.run_id === runId).map((c) => c.status),
					).toEqual([200]);
					expect({ after: n + 1, status: await statusOf(waiting.id) }).toEqual({
						after: n + 1,
						status: 'waiting',
					});
					expect(counter.hits).toEqual([]);
				}
			}
			const done = await executionIn(textWf.id, before, 'success');
			expect(done.id).toBe(waiting.id);
			await sim.gen.callbacksIdle();
			// One answered delivery per run, none retried.
			expect(
				runs.map((r) =>
					sim.record.callbacks.filter((c) => c.run_id === r.run_id).map((c) => c.status),
				),
			).toEqual(runs.map(() => [200]));

			const { items } = await floraOutput(done.id);
			expect(items).toHaveLength(ITEMS);
			const itemOf = (p: any) =>
				Array.isArray(p) ? p[0]?.item : typeof p === 'number' ? p : p?.item;
			expect(items.map((i) => itemOf(i.pairedItem))).toEqual([...Array(ITEMS).keys()]);
			for (const [k, item] of items.entries()) {
				expect(item.json.status).toBe('completed');
				// The text FLORA generated carries the item's own prompt.
				expect(String(item.json.outputs?.[0]?.url)).toMatch(new RegExp(`: Item ${k}$`));
			}
			expect(new Set(items.map((i) => i.json.run_id)).size).toBe(ITEMS);
			expect(new Set(items.map((i) => i.json.run_id))).toEqual(new Set(runs.map((r) => r.run_id)));
			// The workflow went on once, with every item.
			expect(counter.hits.sort()).toEqual(
				items.map((i) => `/after?e=${done.id}&run=${i.json.run_id}`).sort(),
			);
			expect((await executions(textWf.id)).filter((r) => r.id > before)).toHaveLength(1);
		},
	);

	scenario(
		'e. the last two runs end at the same moment: the workflow still continues once',
		async () => {
			const before = await lastExecutionId(textWf.id);
			sim.gen.injectRunFault({ kind: 'hang', runType: 'generation', times: 3 });
			await callWebhook(TEXT_PATH, { count: 3 });
			const waiting = await executionIn(textWf.id, before, 'waiting');
			await until('3 runs started', () => sim.gen.runs().length === 3 || undefined);
			const runs = sim.gen.runs();
			sim.gen.finishRun(runs[1].run_id);
			await until('first callback answered', () =>
				sim.record.callbacks.find((c) => c.run_id === runs[1].run_id && c.status !== 'pending'),
			);
			expect(await statusOf(waiting.id)).toBe('waiting');
			// Both callbacks are on their way together.
			sim.gen.finishRun(runs[2].run_id);
			sim.gen.finishRun(runs[0].run_id);
			const done = await executionIn(textWf.id, before, 'success');
			await sim.gen.callbacksIdle();
			await new Promise((resolve) => setTimeout(resolve, 3_000));
			const statuses = sim.record.callbacks.map((c) => c.status);
			// Every delivery got an answer (which one does not matter here: a 409 for the
			// second of the pair is n8n's own); what matters is that the workflow went on once.
			expect(statuses.every((s) => typeof s === 'number')).toBe(true);
			const { items } = await floraOutput(done.id);
			expect(items).toHaveLength(3);
			expect(counter.hits.sort()).toEqual(
				items.map((i) => `/after?e=${done.id}&run=${i.json.run_id}`).sort(),
			);
			expect((await executions(textWf.id)).filter((r) => r.id > before)).toHaveLength(1);
		},
	);
	scenario(
		'f. Technique → Run: a run that does not end within Timeout comes out as an error item naming the run and its last status',
		async () => {
			const before = await lastExecutionId(techWf.id);
			sim.gen.injectRunFault({ kind: 'hang', runType: 'technique', times: 2 });
			await callWebhook(TECH_PATH, { count: 2 });
			const waiting = await executionIn(techWf.id, before, 'waiting');
			await until('2 technique runs started', () => sim.gen.runs().length === 2 || undefined);
			const [late, onTime] = sim.gen.runs();
			for (const r of [late, onTime]) {
				expect(r).toMatchObject({ run_type: 'technique', technique_id: 'tech_caption_writer' });
				expectCallbackUrl(r.callback_url, waiting.id, TECH_NODE_ID);
			}
			// The last item's run ends; the first one's never does.
			sim.gen.finishRun(onTime.run_id);
			const done = await executionIn(techWf.id, before, 'success', (TECH_TIMEOUT_S + 60) * 1000);
			expect(done.id).toBe(waiting.id);
			const { items } = await floraOutput(done.id);
			expect(items).toHaveLength(2);
			expect(items[0].pairedItem).toEqual({ item: 0 });
			expect(items[0].json.error).toMatchObject({ run_id: late.run_id, status: 'running' });
			expect(String(items[0].json.message)).toContain(late.run_id);
			expect(String(items[0].json.message)).toMatch(/last status: running/);
			expect(items[1].pairedItem).toEqual({ item: 1 });
			expect(items[1].json).toMatchObject({
				run_id: onTime.run_id,
				status: 'completed',
				technique_id: 'tech_caption_writer',
			});
			// The late run was read once more at the end, and goes on in FLORA.
			expect(sim.gen.run(late.run_id)!.status).toBe('running');
			expect(sim.gen.run(late.run_id)!.polls).toBeGreaterThan(0);
		},
	);
}
