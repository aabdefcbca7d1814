/**
 * Wait Mode "Webhook" on the real n8n-core engine: the execution goes into n8n's waiting state,
 * the simulator's signed run callbacks reach n8n's waiting-webhook URL over a real socket
 * (harness/waiting.ts serves it as packages/cli does), and the node's webhook() resumes the
 * execution once, with the items poll mode would output.
 */
import type { IDataObject, INodeExecutionData } from 'n8n-workflow';

import { readBinary } from '../harness';
import {
	generationParams,
	pairedIndexes,
	requestsTo,
	runFlora,
	sha256,
	simulatorForFile,
	techniqueParams,
} from '../harness/flora';
import { callbacksSettled, forge, post, runEvent } from '../harness/flora-trigger';
import type { WaitingExecution, WaitingRunOptions } from '../harness/waiting';
import { startWaitingExecution } from '../harness/waiting';

jest.setTimeout(60_000);

// Short runs; retries 100, 200, 400 ms apart (4 tries), as FLORA retries, only quicker.
const sim = simulatorForFile({ runDurationMs: 300, callbackBackoffMs: 100 });

const open: WaitingExecution[] = [];
afterEach(async () => {
	await Promise.all(open.splice(0).map(async (w) => await w.close()));
});

const credentials = (extra: IDataObject = {}) => ({
	floraApi: {
		apiKey: sim.apiKey,
		baseUrl: sim.apiBaseUrl,
		webhookSecret: sim.webhookSecret,
		...extra,
	},
});
const webhookParams = (extra: IDataObject = {}, options: IDataObject = {}) =>
	generationParams({ ...extra, options: { waitMode: 'webhook', ...options } });

async function waiting(opts: Partial<WaitingRunOptions> = {}): Promise<WaitingExecution> {
	const w = await startWaitingExecution({
		parameters: webhookParams(),
		items: [{ json: {} }],
		credentials: credentials(),
		...opts,
	});
	open.push(w);
	return w;
}

/** Reads of this test's runs (a run of an earlier test may still be read by its webhook()). */
const runReads = () =>
	sim.record.requests.filter(
		(r) =>
			r.origin === 'api' &&
			r.method === 'GET' &&
			sim.gen.runs().some((run) => r.path.endsWith(`/runs/${run.run_id}`)),
	);
const generatePosts = () =>
	requestsTo(sim, 'api', /^\/generate$/).filter((r) => r.method === 'POST');
const apiRequests = () => sim.record.requests.filter((r) => r.origin === 'api');
/** Every request so far, once handled to the end. */
async function handled(w: WaitingExecution) {
	for (let i = 0; i < w.deliveries.length; i++) await w.settled(i);
	return w.deliveries;
}
const pause = async (ms: number) => await new Promise((resolve) => setTimeout(resolve, ms));

/** The run as both modes output it, without what differs from one run to the next. */
function stable(json: IDataObject) {
	const { run_id, created_at, started_at, completed_at, poll_url, outputs, ...rest } = json;
	return {
		...rest,
		keys: Object.keys(json).sort(),
		outputs: (outputs as IDataObject[]).map((o) => Object.keys(o).sort().join(',') + `:${o.type}`),
		ids: [run_id, poll_url, created_at, started_at, completed_at].map((v) => typeof v),
	};
}

async function expectOwnOutput(item: INodeExecutionData, runId: string) {
	const run = sim.gen.run(runId)!;
	expect(item.json).toMatchObject({ run_id: runId, status: 'completed' });
	expect(Object.keys(item.binary ?? {})).toEqual(['data']);
	const file = await sim.gen.file(run.outputs[0].url);
	expect(sha256(await readBinary(item))).toBe(file.sha256);
}

function decodeState(callbackUrl: string) {
	const encoded = new URL(callbackUrl).searchParams.get('flora_wait')!;
	return JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8')) as IDataObject;
}

describe('Generation → Create, Wait Mode "Webhook"', () => {
	it('waits without polling and resumes on the signed callback with the output poll mode gives', async () => {
		const poll = await runFlora(sim, { parameters: generationParams() });
		expect(poll.error).toBeUndefined();
		const [pollItem] = poll.items;
		const pollRun = sim.gen.runs()[0];
		expect(sha256(await readBinary(pollItem))).toBe(
			(await sim.gen.file(pollRun.outputs[0].url)).sha256,
		);
		sim.reset();

		// The run renders until the test ends it: a poll would come 2 s after the start.
		sim.gen.injectRunFault({ kind: 'hang' });
		const before = Date.now();
		const w = await waiting();
		const after = Date.now();
		expect(w.firstError).toBeUndefined();
		expect(w.first.status).toBe('waiting');
		expect(w.status()).toBe('waiting');
		// Timeout (600 s by default) plus the 5 minutes n8n waits on its own.
		expect(w.waitTill!.getTime()).toBeGreaterThanOrEqual(before + 900_000);
		expect(w.waitTill!.getTime()).toBeLessThanOrEqual(after + 900_000);
		expect(w.after()).toEqual([]);

		const [run] = sim.gen.runs();
		expect(generatePosts()).toHaveLength(1);
		expect(w.firstItems.map((item) => item.json)).toEqual([
			expect.objectContaining({ run_id: run.run_id, type: 'generation' }),
		]);
		// callback_url = $execution.resumeUrl (with n8n's resume token) + "/" + the node ID.
		const callback = new URL(run.callback_url!);
		const resume = new URL(w.resumeUrl);
		expect(`${callback.origin}${callback.pathname}`).toBe(
			`${resume.origin}${resume.pathname}/${w.nodeId}`,
		);
		expect(callback.searchParams.get('signature')).toBe(w.resumeToken);
		expect(callback.searchParams.get('flora_wait_sig')).toMatch(/^[0-9a-f]{64}$/);
		expect(decodeState(run.callback_url!)).toMatchObject({ n: 1, x: w.executionId, prev: [] });

		await pause(2_500);
		expect(runReads()).toEqual([]);
		expect(w.status()).toBe('waiting');
		expect(w.deliveries).toEqual([]);

		sim.gen.finishRun(run.run_id);
		const resumedRun = await w.resumed;
		expect(resumedRun.status).toBe('success');
		expect(w.status()).toBe('success');
		expect(w.deliveries).toEqual([
			expect.objectContaining({
				status: 200,
				body: { received: true, resumed: true },
				outcome: 'resumed',
			}),
		]);
		expect(w.resumes).toBe(1);
		// Read once, after the callback, with the key.
		expect(runReads().map((r) => [r.path, r.hasAuthorization, r.status])).toEqual([
			[`/runs/${run.run_id}`, true, 200],
		]);

		const [items] = w.nodeOutputs();
		expect(items).toHaveLength(1);
		expect(pairedIndexes(items)).toEqual([0]);
		expect(stable(items[0].json)).toEqual(stable(pollItem.json));
		await expectOwnOutput(items[0], run.run_id);
		const meta = ({ fileName, id, data, ...rest }: IDataObject) => ({
			...rest,
			fileName: typeof fileName,
		});
		expect(meta(items[0].binary!.data as never)).toEqual(meta(pollItem.binary!.data as never));
		// The workflow went on with that item.
		expect(w.after().map((item) => item.json.run_id)).toEqual([run.run_id]);
	});

	it.each([
		['the last item’s run ends last', [2, 0, 3, 1, 4]],
		['the last item’s run ends first', [4, 1, 3, 0, 2]],
	])('5 items: %s; one resume outputs every item in input order', async (_title, endOrder) => {
		sim.gen.injectRunFault({ kind: 'hang', times: 5 });
		const prompts = ['a red cup', 'a blue cup', 'a green cup', 'a white cup', 'a black cup'];
		const w = await waiting({
			parameters: webhookParams({ prompt: '={{ $json.prompt }}' }),
			items: prompts.map((prompt) => ({ json: { prompt } })),
		});
		expect(w.firstError).toBeUndefined();
		expect(w.status()).toBe('waiting');
		const runs = sim.gen.runs();
		expect(runs).toHaveLength(5);
		// Started one at a time, in input order; item k's URL names the runs of items 0…k-1.
		expect(w.firstItems.map((item) => item.json.run_id)).toEqual(runs.map((r) => r.run_id));
		runs.forEach((run, k) => {
			const state = decodeState(run.callback_url!);
			expect(state).toMatchObject({ n: 5, self: { i: k } });
			expect((state.prev as IDataObject[]).map((e) => e.p)).toEqual(
				runs.slice(0, k).map((r) => `/runs/${r.run_id}`),
			);
		});

		let delivered = 0;
		for (const index of endOrder) {
			sim.gen.finishRun(runs[index].run_id);
			delivered++;
			await w.untilDeliveries(delivered);
			if (index === 4) break;
			// An earlier item's callback: acknowledged, nothing resumes.
			expect(await w.settled(delivered - 1)).toMatchObject({
				status: 200,
				body: { received: true, resumed: false },
				outcome: 'answered',
			});
			expect(w.status()).toBe('waiting');
		}
		expect(w.deliveries[delivered - 1]).toMatchObject({
			status: 200,
			body: { received: true, resumed: true },
		});
		// The runs still rendering when the last item's callback came end now.
		for (const index of endOrder.slice(delivered)) sim.gen.finishRun(runs[index].run_id);
		const run = await w.resumed;
		expect(run.status).toBe('success');
		await sim.gen.callbacksIdle();

		expect(w.resumes).toBe(1);
		expect(w.workflowDataReturned).toBe(1);
		expect((await handled(w)).filter((d) => d.outcome === 'resumed')).toHaveLength(1);
		// Later callbacks are acknowledged while webhook() reads, or refused by n8n (409)
		// once the execution runs again; none resumes.
		for (const d of w.deliveries.slice(delivered)) {
			expect([200, 409]).toContain(d.status);
			expect(d.outcome).not.toBe('resumed');
		}
		const [items] = w.nodeOutputs();
		expect(items).toHaveLength(5);
		expect(pairedIndexes(items)).toEqual([0, 1, 2, 3, 4]);
		for (const [k, item] of items.entries()) await expectOwnOutput(item, runs[k].run_id);
		expect(w.after().map((item) => item.json.run_id)).toEqual(runs.map((r) => r.run_id));
		// Every run read at least once after the wait; nothing started twice.
		for (const r of runs) {
			expect(runReads().some((read) => read.path === `/runs/${r.run_id}`)).toBe(true);
		}
		expect(generatePosts()).toHaveLength(5);
		if (endOrder[endOrder.length - 1] === 4) expect(runReads()).toHaveLength(5);
	});

	it.each([['wrongSecret'], ['unsigned'], ['expired']] as const)(
		'a callback with a %s signature gets 401 on every try and the execution keeps waiting; the genuine one resumes it',
		async (kind) => {
			sim.gen.injectCallbackFault({ kind });
			const w = await waiting();
			const [run] = sim.gen.runs();
			const sent = await callbacksSettled(sim, run.run_id, 4);
			expect(sent.map((c) => c.status)).toEqual([401, 401, 401, 401]);
			expect(await handled(w)).toHaveLength(4);
			for (const d of w.deliveries) {
				expect(d).toMatchObject({ status: 401, outcome: 'answered' });
				expect(JSON.stringify(d.body)).not.toContain(sim.webhookSecret);
			}
			expect(w.status()).toBe('waiting');
			expect(w.resumes).toBe(0);
			expect(runReads()).toEqual([]);

			const genuine = await post(
				run.callback_url!,
				forge(runEvent({ runId: run.run_id }), { secrets: [sim.webhookSecret] }),
			);
			expect(genuine).toMatchObject({ status: 200, json: { received: true, resumed: true } });
			expect((await w.resumed).status).toBe('success');
			expect(w.resumes).toBe(1);
			const [items] = w.nodeOutputs();
			await expectOwnOutput(items[0], run.run_id);
		},
	);

	it('forged and tampered callbacks change nothing and read nothing; FLORA’s own callback then resumes', async () => {
		sim.gen.injectRunFault({ kind: 'hang' });
		const w = await waiting();
		const [run] = sim.gen.runs();
		const url = run.callback_url!;
		const event = runEvent({ runId: run.run_id });
		const now = Math.floor(Date.now() / 1000);
		const withState = (edit: (state: IDataObject) => void) => {
			const next = new URL(url);
			const state = decodeState(url);
			edit(state);
			next.searchParams.set(
				'flora_wait',
				Buffer.from(JSON.stringify(state), 'utf8').toString('base64url'),
			);
			return next.toString();
		};
		const without = (param: string) => {
			const next = new URL(url);
			next.searchParams.delete(param);
			return next.toString();
		};
		const otherToken = (() => {
			const next = new URL(url);
			next.searchParams.set('signature', 'x'.repeat(w.resumeToken.length));
			return next.toString();
		})();
		const signed = forge(event, { secrets: [sim.webhookSecret] });
		const cases: Array<[string, string, ReturnType<typeof forge>, number]> = [
			['wrong secret', url, forge(event, { secrets: ['whsec_not_the_one'] }), 401],
			['unsigned', url, forge(event, { signature: null }), 401],
			['stale', url, forge(event, { secrets: [sim.webhookSecret], t: now - 3_600 }), 401],
			['from the future', url, forge(event, { secrets: [sim.webhookSecret], t: now + 3_600 }), 401],
			[
				'state naming another run',
				withState((s) => {
					s.n = 2;
					s.prev = [{ i: 0, p: '/runs/run_000000000000000000000000', t: 600 }];
					s.self = { ...(s.self as IDataObject), i: 1 };
				}),
				signed,
				400,
			],
			['state without its signature', without('flora_wait_sig'), signed, 400],
			['no state', without('flora_wait'), signed, 400],
			["not n8n's resume token", otherToken, signed, 401],
		];
		for (const [name, target, request, status] of cases) {
			const answer = await post(target, request);
			expect([name, answer.status]).toEqual([name, status]);
			expect(answer.text).not.toContain(sim.webhookSecret);
			expect(w.status()).toBe('waiting');
		}
		expect((await handled(w)).map((d) => d.outcome)).toEqual([
			...Array(7).fill('answered'),
			'refused',
		]);
		expect(w.deliveries[4].body).toMatchObject({ error: { code: 'invalid_callback_url' } });
		expect(w.deliveries[7].body).toEqual({ error: 'Invalid token' });
		expect(w.resumes).toBe(0);
		expect(w.workflowDataReturned).toBe(0);
		// Refused before any read: the API saw only the one POST /generate.
		expect(apiRequests().map((r) => `${r.method} ${r.path}`)).toEqual(['POST /generate']);

		sim.gen.finishRun(run.run_id);
		expect((await w.resumed).status).toBe('success');
		expect(w.deliveries.at(-1)).toMatchObject({ status: 200, outcome: 'resumed' });
		await expectOwnOutput(w.nodeOutputs()[0][0], run.run_id);
	});

	it('a run that ends before n8n has saved the execution as waiting: 409 until then, FLORA’s retry resumes it', async () => {
		sim.configure({ runDurationMs: 0 });
		try {
			// Callbacks come at once, then after 100, 200 and 400 ms; n8n saves after 250 ms.
			const w = await waiting({ saveDelayMs: 250 });
			const [run] = sim.gen.runs();
			expect((await w.resumed).status).toBe('success');
			const deliveries = await handled(w);
			expect(deliveries.length).toBeGreaterThanOrEqual(2);
			expect(deliveries.at(-1)).toMatchObject({ status: 200, outcome: 'resumed' });
			for (const d of deliveries.slice(0, -1)) {
				expect(d).toMatchObject({ status: 409, outcome: 'refused' });
				expect(String((d.body as IDataObject).message)).toMatch(/is running already/);
			}
			expect(w.resumes).toBe(1);
			await expectOwnOutput(w.nodeOutputs()[0][0], run.run_id);
		} finally {
			sim.configure({ runDurationMs: 300 });
		}
	});

	it('accepts a rotated secret’s callback with two v1 values', async () => {
		sim.gen.injectCallbackFault({ kind: 'rotated' });
		const w = await waiting();
		const [run] = sim.gen.runs();
		expect((await w.resumed).status).toBe('success');
		const [callback] = sim.record.callbacks;
		expect(String(callback.headers['flora-signature']).match(/v1=/g)).toHaveLength(2);
		expect(w.deliveries).toEqual([expect.objectContaining({ status: 200, outcome: 'resumed' })]);
		await expectOwnOutput(w.nodeOutputs()[0][0], run.run_id);
	});

	it('a redelivered callback never makes the workflow continue twice', async () => {
		sim.gen.injectCallbackFault({ kind: 'duplicate' });
		const w = await waiting();
		const [run] = sim.gen.runs();
		await w.resumed;
		await sim.gen.callbacksIdle();
		const sent = sim.record.callbacks.filter((c) => c.run_id === run.run_id);
		expect(sent).toHaveLength(2);
		expect(new Set(sent.map((c) => c.delivery_id)).size).toBe(1);
		expect(await w.settled(0)).toMatchObject({ status: 200, outcome: 'resumed' });
		// Either the node sees it while it still reads the run, or n8n sees a running execution.
		const second = await w.settled(1);
		if (second.status === 200) {
			expect(second.body).toEqual({ received: true, resumed: false, duplicate: true });
		} else {
			expect(second).toMatchObject({ status: 409, outcome: 'refused' });
		}
		expect(w.workflowDataReturned).toBe(1);
		expect(w.resumes).toBe(1);
		expect(w.after()).toHaveLength(1);
		expect(generatePosts()).toHaveLength(1);
	});

	it('a callback that comes before the run reads as finished still outputs the completed run', async () => {
		sim.gen.injectCallbackFault({ kind: 'early', lagMs: 1_500 });
		const w = await waiting();
		const [run] = sim.gen.runs();
		expect((await w.resumed).status).toBe('success');
		// Read, found running, read again until completed.
		expect(runReads().length).toBeGreaterThanOrEqual(2);
		expect(w.deliveries).toHaveLength(1);
		const [items] = w.nodeOutputs();
		expect(items).toHaveLength(1);
		await expectOwnOutput(items[0], run.run_id);
	});

	it('a failed run comes out as an error item with FLORA’s error code', async () => {
		sim.gen.injectRunFault({ kind: 'fail', code: 'GENERATION_PROMPT_MODERATED' });
		const w = await waiting();
		const [run] = sim.gen.runs();
		expect((await w.resumed).status).toBe('success');
		expect(sim.record.callbacks[0].body).toContain('"run.failed"');
		const [items] = w.nodeOutputs();
		expect(items).toHaveLength(1);
		expect(items[0].json).toEqual({
			message: expect.stringMatching(
				new RegExp(`^FLORA run ${run.run_id} failed: GENERATION_PROMPT_MODERATED \\(.+\\)$`),
			),
			error: expect.objectContaining({
				run_id: run.run_id,
				status: 'failed',
				error_code: 'GENERATION_PROMPT_MODERATED',
				description: expect.stringContaining('moderation'),
			}),
		});
		expect(items[0].binary).toBeUndefined();
		expect(pairedIndexes(items)).toEqual([0]);
		expect(w.after()).toHaveLength(1);
	});

	it('a run still rendering at its Timeout when the last callback comes becomes an error item naming it and its last status', async () => {
		// Item 1 (the last) ends in 300 ms; item 0 renders on.
		sim.gen.injectRunFault({ kind: 'hang' });
		const w = await waiting({
			parameters: webhookParams({ prompt: '={{ $json.prompt }}' }, { timeout: 2 }),
			items: [{ json: { prompt: 'a long film' } }, { json: { prompt: 'a quick sketch' } }],
		});
		const [slow, quick] = sim.gen.runs();
		expect((await w.resumed).status).toBe('success');
		const [items] = w.nodeOutputs();
		expect(pairedIndexes(items)).toEqual([0, 1]);
		expect(items[0].json.message).toMatch(
			new RegExp(
				`^Run ${slow.run_id} did not finish within 2 s \\(last status: running, progress \\d+%\\)$`,
			),
		);
		expect(items[0].json.error).toMatchObject({ run_id: slow.run_id, status: 'running' });
		await expectOwnOutput(items[1], quick.run_id);
		// FLORA goes on with it: not cancelled.
		expect(sim.gen.run(slow.run_id)!.status).toBe('running');
		expect(w.deliveries).toHaveLength(1);
	});

	describe('On Error', () => {
		const items = [
			{ json: { prompt: 'a cup' } },
			{ json: { prompt: '' } },
			{ json: { prompt: 'a jug' } },
		];

		it('Continue: an item that fails before its run starts is an error item at its index', async () => {
			const w = await waiting({
				parameters: webhookParams({ prompt: '={{ $json.prompt }}' }),
				items,
				nodeSettings: { onError: 'continueRegularOutput' },
			});
			expect(w.status()).toBe('waiting');
			const runs = sim.gen.runs();
			expect(runs).toHaveLength(2);
			expect((await w.resumed).status).toBe('success');
			const [out] = w.nodeOutputs();
			expect(pairedIndexes(out)).toEqual([0, 1, 2]);
			await expectOwnOutput(out[0], runs[0].run_id);
			expect(out[1].json.message).toMatch(/Prompt/);
			expect(out[1].binary).toBeUndefined();
			await expectOwnOutput(out[2], runs[1].run_id);
			expect(w.after()).toHaveLength(3);
		});

		it('Continue (using error output): the item that failed before its start goes to the error output, paired', async () => {
			const w = await waiting({
				parameters: webhookParams({ prompt: '={{ $json.prompt }}' }),
				items,
				nodeSettings: { onError: 'continueErrorOutput' },
			});
			const runs = sim.gen.runs();
			expect((await w.resumed).status).toBe('success');
			const [main, errors] = w.nodeOutputs();
			expect(pairedIndexes(main)).toEqual([0, 2]);
			await expectOwnOutput(main[0], runs[0].run_id);
			await expectOwnOutput(main[1], runs[1].run_id);
			expect(pairedIndexes(errors)).toEqual([1]);
			expect(errors[0].json.message).toMatch(/Prompt/);
			expect(w.after().map((item) => item.json.run_id)).toEqual(runs.map((r) => r.run_id));
			expect(w.errorOutput()).toHaveLength(1);
		});
	});

	it('items sharing an Idempotency Key share one run: each is output from it, one resume', async () => {
		const w = await waiting({
			parameters: webhookParams(
				{ prompt: '={{ $json.prompt }}' },
				{ idempotencyKey: '={{ $json.key }}' },
			),
			items: [
				{ json: { prompt: 'a cup', key: 'order-1' } },
				{ json: { prompt: 'a cup', key: 'order-1' } },
				{ json: { prompt: 'a vase', key: 'order-2' } },
			],
		});
		expect(w.waitTill).toBeDefined();
		const runs = sim.gen.runs();
		expect(runs).toHaveLength(2);
		expect((await w.resumed).status).toBe('success');
		expect(w.resumes).toBe(1);
		const items = w.nodeOutputs()[0];
		expect(pairedIndexes(items)).toEqual([0, 1, 2]);
		expect(items.map((item) => item.json.run_id)).toEqual([
			runs[0].run_id,
			runs[0].run_id,
			runs[1].run_id,
		]);
		for (const [index, item] of items.entries()) {
			await expectOwnOutput(item, String(items[index].json.run_id));
		}
	});

	it('when the last item shares an earlier item’s run, no callback names every run: the node polls instead', async () => {
		const w = await waiting({
			parameters: webhookParams({}, { idempotencyKey: 'order-7' }),
			items: [{ json: {} }, { json: {} }],
		});
		expect(w.firstError).toBeUndefined();
		expect(w.waitTill).toBeUndefined();
		expect(w.status()).toBe('success');
		const [run] = sim.gen.runs();
		expect(sim.gen.runs()).toHaveLength(1);
		expect(w.firstItems.map((item) => item.json.run_id)).toEqual([run.run_id, run.run_id]);
		expect(pairedIndexes(w.firstItems)).toEqual([0, 1]);
		await expectOwnOutput(w.firstItems[1], run.run_id);
	});

	it('under Retry On Fail, the rerun picks up the run the first try started and polls, with no second run', async () => {
		// The second item's start is refused once: the node fails, n8n runs it again.
		sim.inject({
			target: 'api',
			method: 'POST',
			path: '/generate',
			kind: 'status',
			status: 400,
			code: 'input_validation_error',
			message: 'Try later.',
			skip: 1,
			times: 1,
		});
		const w = await waiting({
			items: [{ json: {} }, { json: {} }],
			nodeSettings: { retryOnFail: true, maxTries: 2, waitBetweenTries: 1 },
		});
		expect(w.firstError).toBeUndefined();
		// The rerun found item 1's run again (409): its callback may go to the first try, so no wait.
		expect(w.waitTill).toBeUndefined();
		expect(w.status()).toBe('success');
		const runs = sim.gen.runs();
		expect(runs).toHaveLength(2);
		expect(
			sim.record.requests
				.filter((r) => r.origin === 'api' && r.method === 'POST' && r.path === '/generate')
				.map((r) => r.status),
		).toEqual([201, 400, 409, 201]);
		expect(w.firstItems.map((item) => item.json.run_id)).toEqual(runs.map((r) => r.run_id));
		expect(pairedIndexes(w.firstItems)).toEqual([0, 1]);
	});

	it('Continue, and the last item fails before its start: no callback can resume, so the node polls its runs instead', async () => {
		const w = await waiting({
			parameters: webhookParams({ prompt: '={{ $json.prompt }}' }),
			items: [{ json: { prompt: 'a cup' } }, { json: { prompt: '' } }],
			nodeSettings: { onError: 'continueRegularOutput' },
		});
		expect(w.firstError).toBeUndefined();
		expect(w.status()).toBe('success');
		expect(w.waitTill).toBeUndefined();
		const [run] = sim.gen.runs();
		expect(runReads().length).toBeGreaterThanOrEqual(1);
		const items = w.firstItems;
		expect(pairedIndexes(items)).toEqual([0, 1]);
		await expectOwnOutput(items[0], run.run_id);
		expect(items[1].json.message).toMatch(/Prompt/);
		expect(w.after()).toHaveLength(2);
		// FLORA's callback for the run finds the execution finished: n8n refuses it, nothing resumes.
		await callbacksSettled(sim, run.run_id, 1);
		expect((await handled(w))[0]).toMatchObject({ status: 409, outcome: 'refused' });
		expect(w.workflowDataReturned).toBe(0);
	});

	describe('refused before any request', () => {
		it('without the Webhook Secret', async () => {
			const w = await waiting({ credentials: credentials({ webhookSecret: '' }) });
			expect(w.status()).toBe('error');
			expect(w.firstError?.message).toBe(
				'Wait Mode "Webhook" needs the Webhook Secret of the Flora API credential',
			);
			expect(apiRequests()).toEqual([]);
		});

		it('when n8n’s webhook address is not reachable from outside and FLORA is not local', async () => {
			const w = await waiting({
				credentials: credentials({ baseUrl: 'https://api.example.invalid/v1' }),
			});
			expect(w.status()).toBe('error');
			expect(w.firstError?.message).toBe(
				`Wait Mode "Webhook" needs an n8n address FLORA can reach, but n8n's webhook address is ${new URL(w.resumeUrl).origin}`,
			);
			expect((w.firstError as { description?: string }).description).toContain('WEBHOOK_URL');

			const plain = await waiting({
				credentials: credentials({ baseUrl: 'https://api.example.invalid/v1' }),
				webhookWaitingBaseUrl: 'http://n8n.example.com/webhook-waiting',
			});
			expect(plain.firstError?.message).toMatch(/webhook address is http:\/\/n8n\.example\.com$/);
			expect(apiRequests()).toEqual([]);
		});

		it('more than 50 items, or items that wait in different ways', async () => {
			const many = await waiting({ items: Array.from({ length: 51 }, () => ({ json: {} })) });
			expect(many.firstError?.message).toBe(
				'Wait Mode "Webhook" waits for at most 50 items per node run; this run has 51',
			);
			const mixed = await waiting({
				parameters: generationParams({ options: { waitMode: '={{ $json.mode }}' } }),
				items: [{ json: { mode: 'webhook' } }, { json: { mode: 'poll' } }],
			});
			expect(mixed.firstError?.message).toBe(
				'Item 2 waits by polling, item 1 by webhook: one node run waits one way',
			);
			expect(apiRequests()).toEqual([]);
		});
	});

	it('a local FLORA may call back any address: the callback URL carries the address n8n gives', async () => {
		sim.gen.injectRunFault({ kind: 'hang' });
		const w = await waiting({ webhookWaitingBaseUrl: 'http://10.1.2.3:5678/webhook-waiting' });
		expect(w.status()).toBe('waiting');
		const [run] = sim.gen.runs();
		expect(run.callback_url).toMatch(
			new RegExp(`^http://10\\.1\\.2\\.3:5678/webhook-waiting/${w.executionId}/${w.nodeId}\\?`),
		);
	});
});

describe('Technique → Run, Wait Mode "Webhook"', () => {
	it('resumes with the run as poll mode outputs it, technique_id beside it, read on the technique’s path', async () => {
		const params = (waitMode: string) =>
			techniqueParams(
				'tech_caption_writer',
				{ brief: 'A launch caption' },
				{ options: { waitMode } },
			);
		const poll = await runFlora(sim, { parameters: params('poll') });
		expect(poll.error).toBeUndefined();
		sim.reset();

		const w = await waiting({ parameters: params('webhook') });
		expect(w.status()).toBe('waiting');
		const [run] = sim.gen.runs();
		expect((await w.resumed).status).toBe('success');
		expect(runReads().map((r) => r.path)).toEqual([
			`/techniques/tech_caption_writer/runs/${run.run_id}`,
		]);
		const [items] = w.nodeOutputs();
		expect(items[0].json).toMatchObject({
			technique_id: 'tech_caption_writer',
			run_id: run.run_id,
			status: 'completed',
		});
		expect(stable(items[0].json)).toEqual(stable(poll.items[0].json));
	});
});
