import { createHmac } from 'node:crypto';
import { pollRun, startReceiver, until } from './gen-testkit';
import {
	floraSignatureHeader,
	parseFloraSignature,
	signFloraWebhook,
	startSimulator,
	verifyFloraWebhook,
} from './index';
import { Client } from './testkit';
import type { Simulator } from './types';

let sim: Simulator;
let api: Client;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
let answers: number[];
let project: string;

beforeAll(async () => {
	sim = await startSimulator({
		quiet: true,
		runDurationMs: 200,
		callbackBackoffMs: 20,
		callbackTimeoutMs: 2000,
	});
	api = new Client(sim);
	receiver = await startReceiver((n) => answers[n] ?? 200);
	project = (await api.get('/projects?workspace_id=ws_demo&limit=1')).json.projects[0].project_id;
});
afterAll(async () => {
	await receiver.close();
	await sim.close();
});
beforeEach(() => {
	sim.reset();
	receiver.received.length = 0;
	answers = [];
});

/** Independent check: HMAC-SHA256 over `${t}.${body}` keyed with the whole secret. */
function hmac(secret: string, t: string, body: string): string {
	return createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
}

function sigParts(header: string | string[] | undefined) {
	const parts = String(header).split(',');
	const t = parts.find((p) => p.startsWith('t='))!.slice(2);
	const v1 = parts.filter((p) => p.startsWith('v1=')).map((p) => p.slice(3));
	return { t, v1 };
}

async function generateWithCallback(extra: Record<string, unknown> = {}) {
	const r = await api.post('/generate', {
		type: 'image',
		prompt: 'a lamp',
		workspace_id: 'ws_demo',
		project_id: project,
		callback_url: receiver.url,
		...extra,
	});
	expect(r.status).toBe(201);
	return r.json.run_id as string;
}

async function settled() {
	await until(() => sim.record.callbacks.length > 0);
	await sim.gen.callbacksIdle();
}

describe('run callbacks', () => {
	it('POSTs one signed run.completed event when a generation ends', async () => {
		const runId = await generateWithCallback();
		await settled();
		expect(receiver.received).toHaveLength(1);
		const [got] = receiver.received;
		const event = JSON.parse(got.body);
		expect(event).toEqual({
			id: expect.stringMatching(/^whd_[0-9a-f]+$/),
			type: 'run.completed',
			api_version: '2026-06-11',
			created_at: expect.any(Number),
			data: { run_id: runId, run_type: 'generation', workspace_id: 'ws_demo', status: 'completed' },
		});
		expect(got.headers['flora-webhook-id']).toBe(event.id);
		expect(got.headers['flora-event']).toBe('run.completed');
		expect(got.headers['content-type']).toBe('application/json');
		const { t, v1 } = sigParts(got.headers['flora-signature']);
		expect(t).toMatch(/^\d{10}$/);
		expect(Math.abs(Number(t) - Date.now() / 1000)).toBeLessThan(60);
		expect(sim.webhookSecret).toBe('whsec_sim_demo');
		expect(v1).toEqual([hmac('whsec_sim_demo', t, got.body)]);
		expect(v1).not.toEqual([hmac('sim_demo', t, got.body)]);
		// The callback comes after the run reads as completed.
		expect((await api.get(`/runs/${runId}`)).json.status).toBe('completed');
		expect(sim.record.callbacks).toEqual([
			expect.objectContaining({
				delivery_id: event.id,
				run_id: runId,
				attempt: 1,
				url: receiver.url,
				body: got.body,
				status: 200,
			}),
		]);
		expect(sim.record.callbacks[0].headers['flora-signature']).toBe(got.headers['flora-signature']);
	});

	it('sends run.failed with the error for a failed technique run', async () => {
		sim.gen.injectRunFault({ kind: 'fail', code: 'GENERATION_PROMPT_MODERATED' });
		const r = await api.post('/techniques/tech_caption_writer/runs', {
			workspace_id: 'ws_studio',
			inputs: [{ id: 'brief', type: 'text', value: 'x' }],
			callback_url: receiver.url,
		});
		await settled();
		const event = JSON.parse(receiver.received[0].body);
		expect(event.type).toBe('run.failed');
		expect(receiver.received[0].headers['flora-event']).toBe('run.failed');
		expect(event.data).toEqual({
			run_id: r.json.run_id,
			run_type: 'technique',
			workspace_id: 'ws_studio',
			status: 'failed',
			error_code: 'GENERATION_PROMPT_MODERATED',
			error_message: 'The prompt was flagged by content moderation.',
		});
		const { t, v1 } = sigParts(receiver.received[0].headers['flora-signature']);
		expect(v1).toEqual([hmac(sim.gen.webhookSecret('ws_studio'), t, receiver.received[0].body)]);
		expect(sim.gen.webhookSecret('ws_studio')).toBe('whsec_sim_studio');
	});

	it('retries a non-2xx answer with the same delivery id until a 2xx', async () => {
		answers = [500, 503, 204];
		await generateWithCallback();
		await settled();
		expect(receiver.received.map((r) => r.answered)).toEqual([500, 503, 204]);
		const ids = new Set(receiver.received.map((r) => r.headers['flora-webhook-id']));
		expect(ids.size).toBe(1);
		expect(sim.record.callbacks.map((c) => [c.attempt, c.status])).toEqual([
			[1, 500],
			[2, 503],
			[3, 204],
		]);
	});

	it('gives up after 3 retries', async () => {
		answers = [500, 500, 500, 500, 500, 500];
		await generateWithCallback();
		await settled();
		expect(receiver.received).toHaveLength(4);
		expect(sim.record.callbacks.map((c) => c.status)).toEqual([500, 500, 500, 500]);
	});

	it('retries when nobody answers, recording the error', async () => {
		const deadUrl = receiver.url.replace(/:\d+\//, ':1/');
		sim.configure({ callbackRetries: 1 });
		try {
			await generateWithCallback({ callback_url: deadUrl });
			await until(
				() => sim.record.callbacks.length === 2 && sim.record.callbacks[1].status !== 'pending',
			);
			expect(sim.record.callbacks.map((c) => c.status)).toEqual(['error', 'error']);
			expect(sim.record.callbacks[0].error).toMatch(/ECONNREFUSED/);
		} finally {
			sim.configure({ callbackRetries: 3 });
		}
	});

	it('sends nothing for a run without callback_url', async () => {
		const r = await api.post('/generate', {
			type: 'text',
			prompt: 'x',
			workspace_id: 'ws_demo',
			project_id: project,
		});
		await pollRun(api, `/runs/${r.json.run_id}`);
		await sim.gen.callbacksIdle();
		expect(sim.record.callbacks).toHaveLength(0);
		expect(receiver.received).toHaveLength(0);
	});
});

describe('delivery faults', () => {
	it('duplicate: the same delivery twice', async () => {
		sim.gen.injectCallbackFault({ kind: 'duplicate' });
		await generateWithCallback();
		await settled();
		expect(receiver.received).toHaveLength(2);
		expect(receiver.received[0].headers['flora-webhook-id']).toBe(
			receiver.received[1].headers['flora-webhook-id'],
		);
		expect(receiver.received[0].body).toBe(receiver.received[1].body);
		expect(sim.record.callbacks.map((c) => c.fault)).toEqual(['duplicate', 'duplicate']);
	});

	it('early: the callback arrives while GET still reads running', async () => {
		sim.gen.injectCallbackFault({ kind: 'early', lagMs: 1500 });
		const runId = await generateWithCallback();
		await until(() => receiver.received.length > 0);
		const during = await api.get(`/runs/${runId}`);
		expect(during.json.status).toBe('running');
		expect(during.json.outputs).toBeUndefined();
		const answers2 = await pollRun(api, `/runs/${runId}`);
		expect(answers2.pop().status).toBe('completed');
		expect(sim.gen.run(runId)!.status).toBe('completed');
	});

	it('wrongSecret, expired and unsigned deliveries fail verification; rotated passes with either secret', async () => {
		const secret = sim.webhookSecret;
		const kinds = [
			{ kind: 'wrongSecret' as const },
			{ kind: 'expired' as const, ageSeconds: 900 },
			{ kind: 'unsigned' as const },
			{ kind: 'rotated' as const, otherSecret: 'whsec_old_one' },
		];
		for (const k of kinds) sim.gen.injectCallbackFault(k);
		for (let i = 0; i < kinds.length; i++) await generateWithCallback({ prompt: `p${i}` });
		await until(() => receiver.received.length === 4);
		await sim.gen.callbacksIdle();
		const byFault = new Map(
			sim.record.callbacks.map((c) => [c.fault, receiver.received.find((r) => r.body === c.body)!]),
		);
		const wrong = byFault.get('wrongSecret')!;
		const w = sigParts(wrong.headers['flora-signature']);
		expect(w.v1[0]).not.toBe(hmac(secret, w.t, wrong.body));
		expect(verifyFloraWebhook(String(wrong.headers['flora-signature']), wrong.body, secret)).toBe(
			'signature mismatch',
		);

		const expired = byFault.get('expired')!;
		const e = sigParts(expired.headers['flora-signature']);
		expect(e.v1).toEqual([hmac(secret, e.t, expired.body)]);
		expect(Date.now() / 1000 - Number(e.t)).toBeGreaterThan(300);
		expect(
			verifyFloraWebhook(String(expired.headers['flora-signature']), expired.body, secret),
		).toMatch(/tolerance/);

		const unsigned = byFault.get('unsigned')!;
		expect(unsigned.headers['flora-signature']).toBeUndefined();
		expect(unsigned.headers['flora-webhook-id']).toMatch(/^whd_/);

		const rotated = byFault.get('rotated')!;
		const r = sigParts(rotated.headers['flora-signature']);
		expect(r.v1).toEqual([
			hmac('whsec_old_one', r.t, rotated.body),
			hmac(secret, r.t, rotated.body),
		]);
		const header = String(rotated.headers['flora-signature']);
		expect(verifyFloraWebhook(header, rotated.body, secret)).toBeUndefined();
		expect(verifyFloraWebhook(header, rotated.body, 'whsec_old_one')).toBeUndefined();
		expect(verifyFloraWebhook(header, rotated.body, 'whsec_other')).toBe('signature mismatch');
	});

	it('signs with the new secret after a rotation', async () => {
		const prev = sim.gen.rotateWebhookSecret('ws_demo', 'whsec_rotated');
		expect(prev).toBe('whsec_sim_demo');
		expect(sim.webhookSecret).toBe('whsec_rotated');
		await generateWithCallback();
		await settled();
		const got = receiver.received[0];
		const { t, v1 } = sigParts(got.headers['flora-signature']);
		expect(v1).toEqual([hmac('whsec_rotated', t, got.body)]);
		sim.reset();
		expect(sim.webhookSecret).toBe('whsec_sim_demo');
	});

	it('takes webhook secrets from the options', async () => {
		sim.configure({ webhookSecrets: { ws_demo: 'whsec_from_options' } });
		try {
			expect(sim.webhookSecret).toBe('whsec_from_options');
			expect(sim.gen.webhookSecret('ws_archive')).toBe('whsec_sim_archive');
		} finally {
			sim.configure({ webhookSecrets: {} });
		}
	});
});

describe('signing helpers', () => {
	const body = '{"id":"whd_1","type":"run.completed"}';
	it('sign, build, parse and verify as FLORA does', () => {
		const t = 1_760_000_000;
		expect(signFloraWebhook('whsec_x', body, t)).toBe(hmac('whsec_x', String(t), body));
		const header = floraSignatureHeader(['whsec_a', 'whsec_b'], body, t);
		expect(header).toBe(
			`t=${t},v1=${hmac('whsec_a', String(t), body)},v1=${hmac('whsec_b', String(t), body)}`,
		);
		expect(parseFloraSignature(header)).toEqual({
			t,
			v1: [hmac('whsec_a', String(t), body), hmac('whsec_b', String(t), body)],
		});
		const now = t * 1000;
		expect(verifyFloraWebhook(header, body, 'whsec_b', { nowMs: now })).toBeUndefined();
		expect(verifyFloraWebhook(header, `${body} `, 'whsec_b', { nowMs: now })).toBe(
			'signature mismatch',
		);
		expect(verifyFloraWebhook(header, body, 'whsec_b', { nowMs: now + 301_000 })).toMatch(
			/age 301s/,
		);
		expect(verifyFloraWebhook(header, body, 'whsec_b', { nowMs: now - 301_000 })).toMatch(
			/age -301s/,
		);
		expect(verifyFloraWebhook(header, body, 'whsec_b', { nowMs: now + 299_000 })).toBeUndefined();
		expect(verifyFloraWebhook(undefined, body, 'whsec_b')).toBe('missing Flora-Signature header');
		expect(verifyFloraWebhook('v1=abc', body, 'whsec_b')).toBe('no timestamp (t=)');
		expect(verifyFloraWebhook(`t=${t}`, body, 'whsec_b')).toBe('no v1 signature');
	});
});
