/**
 * The Flora Trigger's webhook() in n8n-core's WebhookContext, served on a real socket (see
 * ../harness/webhook.ts): refusals, repeats, the events filter, and runs read back from the simulator
 * after its own signed callbacks.
 */
import { simulatorForFile } from '../harness/flora';
import type { TriggerHost, TriggerHostOptions } from '../harness/webhook';
import { startTriggerHost } from '../harness/webhook';
import { SECRET, forge, post, runEvent, sign, startRun } from '../harness/flora-trigger';

const sim = simulatorForFile();
const hosts: TriggerHost[] = [];

afterAll(async () => {
	await Promise.all(hosts.map(async (h) => await h.close()));
});

async function host(
	opts: Partial<TriggerHostOptions> & { secret?: string; fetchRun?: boolean } = {},
): Promise<TriggerHost> {
	const { secret = SECRET, fetchRun = false, parameters, ...rest } = opts;
	const started = await startTriggerHost({
		parameters: parameters ?? { options: { fetchRun } },
		credentials: {
			floraApi: { apiKey: sim.apiKey, baseUrl: sim.apiBaseUrl, webhookSecret: secret },
		},
		...rest,
	});
	hosts.push(started);
	return started;
}

const apiRequests = () => sim.record.requests.filter((r) => r.origin === 'api');

/** What a refused caller learns must not include the secret or the signature expected. */
function expectNothingSecret(text: string, body: Buffer, t: number) {
	expect(text).not.toContain(SECRET);
	expect(text).not.toContain(SECRET.slice('whsec_'.length));
	expect(text).not.toContain(sign(SECRET, t, body));
	expect(text).not.toContain(sim.apiKey);
}

describe('Flora Trigger: signature rows (bare event output)', () => {
	const now = () => Math.floor(Date.now() / 1000);

	it('starts one execution for a correctly signed delivery, with the event as sent', async () => {
		const h = await host();
		const event = runEvent();
		const answer = await post(h.url, forge(event));
		expect(answer.status).toBe(200);
		expect(answer.json).toEqual({ message: 'Workflow was started' });
		expect(h.executions).toHaveLength(1);
		expect(h.executions[0].map((i) => i.json)).toEqual([event]);
		expect(apiRequests()).toHaveLength(0);
	});

	it.each([
		['the current secret second', ['whsec_retired_0000', SECRET]],
		['the current secret first', [SECRET, 'whsec_retired_0000']],
	])('accepts two v1 values during a rotation (%s)', async (_label, secrets) => {
		const h = await host();
		const answer = await post(h.url, forge(runEvent(), { secrets }));
		expect(answer.status).toBe(200);
		expect(h.executions).toHaveLength(1);
	});

	it('accepts a timestamp exactly at the tolerance', async () => {
		const h = await host({ parameters: { options: { fetchRun: false, toleranceSeconds: 120 } } });
		// A second of slack for the clock moving on between signing and checking.
		const answer = await post(h.url, forge(runEvent(), { t: now() - 119 }));
		expect(answer.status).toBe(200);
		expect(h.executions).toHaveLength(1);
	});

	const refusals: Array<
		[string, (event: ReturnType<typeof runEvent>) => ReturnType<typeof forge>, string, string?]
	> = [
		['no Flora-Signature header', (e) => forge(e, { signature: null }), 'missing_header'],
		['a malformed header', (e) => forge(e, { signature: 'sha256=abc' }), 'malformed_header'],
		['another secret', (e) => forge(e, { secrets: ['whsec_someone_else'] }), 'mismatch'],
		[
			'a body altered by one byte',
			(e) => {
				const request = forge(e);
				const at = request.body.indexOf('run.completed');
				request.body[at] = 'R'.charCodeAt(0);
				return request;
			},
			'mismatch',
		],
		['a stale timestamp', (e) => forge(e, { t: now() - 301 }), 'stale_timestamp'],
		['a timestamp too far ahead', (e) => forge(e, { t: now() + 400 }), 'future_timestamp'],
		[
			'a v1 that is not hex',
			(e) => {
				const t = now();
				const v1 = `${sign(SECRET, t, Buffer.from(JSON.stringify(e)))}zz`;
				return forge(e, { signature: `t=${t},v1=${v1}` });
			},
			'mismatch',
		],
	];

	it.each(refusals)('answers 401 and starts nothing for %s', async (_label, make, code) => {
		const h = await host({ fetchRun: true });
		const request = make(runEvent());
		const answer = await post(h.url, request);
		expect(answer.status).toBe(401);
		expect(answer.json.error.code).toBe(code);
		expect(typeof answer.json.error.message).toBe('string');
		const t = Number(/t=(\d+)/.exec(request.headers['flora-signature'] ?? '')?.[1] ?? now());
		expectNothingSecret(answer.text, request.body, t);
		expect(h.executions).toHaveLength(0);
		// Nothing was read from FLORA and nothing remembered for an unverified request.
		expect(apiRequests()).toHaveLength(0);
		expect(h.savedStaticData()).toEqual({});
	});

	it('answers 401 saying what to set when the credential has no Webhook Secret', async () => {
		const h = await host({ secret: '' });
		const request = forge(runEvent());
		const answer = await post(h.url, request);
		expect(answer.status).toBe(401);
		expect(answer.json).toEqual({
			error: {
				code: 'no_secret',
				message:
					'No Webhook Secret is set: add the workspace webhook signing secret (whsec_…) from FLORA to the Flora API credential this trigger uses',
			},
		});
		expect(h.executions).toHaveLength(0);
	});

	it('answers 400 for a signed body that is not a run event, and starts nothing', async () => {
		const h = await host();
		const event = runEvent({ data: { status: 'completed' } });
		const answer = await post(h.url, forge(event));
		expect(answer.status).toBe(400);
		expect(answer.json.error).toEqual({
			code: 'invalid_event',
			message: 'The event has no data.run_id of the form run_…',
		});
		expect(h.executions).toHaveLength(0);
	});
});

describe('Flora Trigger: repeated deliveries', () => {
	it('starts nothing for the same Flora-Webhook-Id twice, and answers 200', async () => {
		const h = await host();
		const request = forge(runEvent());
		expect((await post(h.url, request)).status).toBe(200);
		const again = await post(h.url, forge(JSON.parse(request.body.toString())));
		expect(again.status).toBe(200);
		expect(again.json).toMatchObject({ received: true, duplicate: true });
		expect(h.executions).toHaveLength(1);
		// Another delivery still starts its own execution.
		expect((await post(h.url, forge(runEvent()))).status).toBe(200);
		expect(h.executions).toHaveLength(2);
	});

	it('still knows the id after a restart: the id was saved with the execution it started', async () => {
		const first = await host();
		const event = runEvent();
		expect((await post(first.url, forge(event))).status).toBe(200);
		const saved = first.savedStaticData();
		expect(Object.keys((saved['node:Flora Trigger'] as any).deliveries)).toEqual([event.id]);
		await first.close();

		const restarted = await host({
			freshProcess: true,
			staticData: saved,
			workflowId: first.workflowId,
			nodeId: first.nodeId,
		});
		const again = await post(restarted.url, forge(event));
		expect(again.status).toBe(200);
		expect(again.json).toMatchObject({ duplicate: true });
		expect(restarted.executions).toHaveLength(0);
	});

	it('answers 409 to a copy arriving while the first is still being handled; one execution', async () => {
		const h = await host({ fetchRun: true });
		const runId = await startRun(sim);
		sim.gen.finishRun(runId);
		sim.inject({ target: 'api', method: 'GET', path: /^\/runs\//, kind: 'delay', ms: 3000 });
		const request = forge(runEvent({ runId }));
		const answers = await Promise.all([post(h.url, request), post(h.url, request)]);
		expect(answers.map((a) => a.status).sort()).toEqual([200, 409]);
		expect(answers.find((a) => a.status === 409)?.json.error.code).toBe('delivery_in_progress');
		expect(h.executions).toHaveLength(1);
		// FLORA's next try after the first was accepted is a plain repeat.
		const later = await post(h.url, request);
		expect(later.json).toMatchObject({ duplicate: true });
		expect(h.executions).toHaveLength(1);
	});

	it('remembers nothing when reading the run fails, so FLORA retries it', async () => {
		const h = await host({ fetchRun: true });
		const request = forge(runEvent({ runId: 'run_unknown_to_flora' }));
		const answer = await post(h.url, request);
		expect(answer.status).toBe(500);
		expect(h.deliveries[0].error?.message).toBe('FLORA: Run not found.');
		expect(h.executions).toHaveLength(0);
		expect(h.savedStaticData()).toEqual({});
		expect(apiRequests().map((r) => `${r.method} ${r.path}`)).toEqual([
			'GET /runs/run_unknown_to_flora',
		]);
	});
});

describe('Flora Trigger: events filter', () => {
	it('acknowledges a verified event that is not selected, and starts nothing', async () => {
		const h = await host({
			parameters: { events: ['run.completed'], options: { fetchRun: true } },
		});
		const answer = await post(h.url, forge(runEvent({ type: 'run.failed' })));
		expect(answer.status).toBe(200);
		expect(answer.json).toEqual({
			received: true,
			ignored: true,
			message: 'run.failed is not among the events this trigger starts on',
		});
		expect(h.executions).toHaveLength(0);
		expect(apiRequests()).toHaveLength(0);
	});

	it('starts on run.failed when only that is selected', async () => {
		const h = await host({ parameters: { events: ['run.failed'], options: { fetchRun: false } } });
		expect((await post(h.url, forge(runEvent({ type: 'run.completed' })))).json).toMatchObject({
			ignored: true,
		});
		expect((await post(h.url, forge(runEvent({ type: 'run.failed' })))).status).toBe(200);
		expect(h.executions.map((items) => items[0].json.type)).toEqual(['run.failed']);
	});
});

describe('Flora Trigger from the built package', () => {
	it('verifies, starts and dedupes as the class n8n loads from dist/', async () => {
		const h = await host({ from: 'dist' });
		const request = forge(runEvent());
		expect((await post(h.url, request)).status).toBe(200);
		expect((await post(h.url, request)).json).toMatchObject({ duplicate: true });
		expect((await post(h.url, forge(runEvent(), { secrets: ['whsec_other'] }))).status).toBe(401);
		expect(h.executions).toHaveLength(1);
	});
});
