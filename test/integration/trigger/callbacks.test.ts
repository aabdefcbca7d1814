/**
 * The simulator's own run callbacks (signed as FLORA signs them, retried, with its delivery
 * faults) into the Flora Trigger served as n8n serves it; with Fetch Run the run is read back.
 */
import { sha256, simulatorForFile } from '../harness/flora';
import { readBinary } from '../harness';
import type { TriggerHost, TriggerHostOptions } from '../harness/webhook';
import { startTriggerHost } from '../harness/webhook';
import { callbacksSettled, startRun } from '../harness/flora-trigger';

// Short runs and quick retries; 3 retries after the first try, as FLORA.
const sim = simulatorForFile({ runDurationMs: 300, callbackBackoffMs: 50 });
let h: TriggerHost;

afterAll(async () => {
	await h?.close();
});
async function serve(opts: Partial<TriggerHostOptions> = {}) {
	await h?.close();
	h = await startTriggerHost({
		parameters: {},
		credentials: {
			floraApi: { apiKey: sim.apiKey, baseUrl: sim.apiBaseUrl, webhookSecret: sim.webhookSecret },
		},
		...opts,
	});
}

beforeEach(async () => {
	await serve();
});

const runReads = (runId: string) =>
	sim.record.requests.filter(
		(r) => r.origin === 'api' && r.method === 'GET' && r.path.includes(runId),
	);

describe('Flora Trigger with the simulator calling back', () => {
	it('outputs the finished run with its outputs, read once with the API key', async () => {
		const runId = await startRun(sim, h.url);
		const [callback] = await callbacksSettled(sim, runId);
		expect(callback.status).toBe(200);
		expect(h.executions).toHaveLength(1);
		const [item] = h.executions[0];
		const event = JSON.parse(callback.body);
		expect(item.json).toMatchObject({
			run_id: runId,
			status: 'completed',
			event: { id: callback.delivery_id, type: 'run.completed', data: { run_id: runId } },
		});
		expect(item.json.event).toEqual(event);
		const outputs = item.json.outputs as Array<{ type: string; url: string }>;
		expect(outputs.length).toBeGreaterThan(0);
		expect(outputs[0].url).toMatch(/^http/);
		const reads = runReads(runId);
		expect(reads.map((r) => r.path)).toEqual([`/runs/${runId}`]);
		// The simulator answers 200 only to its API key.
		expect(reads[0]).toMatchObject({ hasAuthorization: true, status: 200 });
	});

	it('reads a technique run through GET /runs/{id}: the event does not name the technique', async () => {
		const runId = await startRun(sim, h.url, 'technique');
		await callbacksSettled(sim, runId);
		expect(h.executions).toHaveLength(1);
		expect(h.executions[0][0].json).toMatchObject({
			run_id: runId,
			status: 'completed',
			event: { data: { run_type: 'technique' } },
		});
		expect(runReads(runId).map((r) => r.path)).toEqual([`/runs/${runId}`]);
	});

	it('outputs a failed run with FLORA’s error code', async () => {
		sim.gen.injectRunFault({ kind: 'fail', code: 'GPU_PROVIDER_ERROR' });
		const runId = await startRun(sim, h.url);
		await callbacksSettled(sim, runId);
		expect(h.executions).toHaveLength(1);
		expect(h.executions[0][0].json).toMatchObject({
			status: 'failed',
			error_code: 'GPU_PROVIDER_ERROR',
			event: { type: 'run.failed' },
		});
	});

	it('starts one execution when FLORA delivers the same event twice', async () => {
		sim.gen.injectCallbackFault({ kind: 'duplicate' });
		const runId = await startRun(sim, h.url);
		const sent = await callbacksSettled(sim, runId, 2);
		expect(sent.map((c) => c.status)).toEqual([200, 200]);
		expect(new Set(sent.map((c) => c.delivery_id)).size).toBe(1);
		expect(h.executions).toHaveLength(1);
		expect(h.deliveries.map((d) => (d.body as { duplicate?: boolean }).duplicate ?? false)).toEqual(
			[false, true],
		);
		expect(runReads(runId)).toHaveLength(1);
	});

	it('re-reads a run that does not read as ended yet when the callback arrives early', async () => {
		sim.gen.injectCallbackFault({ kind: 'early', lagMs: 1500 });
		const runId = await startRun(sim, h.url);
		await callbacksSettled(sim, runId);
		expect(h.executions).toHaveLength(1);
		expect(h.executions[0][0].json).toMatchObject({ status: 'completed' });
		expect((h.executions[0][0].json.outputs as unknown[]).length).toBeGreaterThan(0);
		const reads = runReads(runId);
		expect(reads.length).toBeGreaterThanOrEqual(2);
		expect(reads.length).toBeLessThanOrEqual(4);
	});

	it('outputs the run as FLORA reports it after the re-reads, when it still reads as running', async () => {
		sim.gen.injectCallbackFault({ kind: 'early', lagMs: 60_000 });
		const runId = await startRun(sim, h.url);
		await callbacksSettled(sim, runId);
		expect(h.executions).toHaveLength(1);
		expect(h.executions[0][0].json).toMatchObject({
			run_id: runId,
			status: 'running',
			event: { type: 'run.completed' },
		});
		// One read, then three re-reads.
		expect(runReads(runId)).toHaveLength(4);
	}, 30_000);

	it.each([
		['signed with the wrong secret', { kind: 'wrongSecret' as const }, 'mismatch'],
		['signed 15 minutes ago', { kind: 'expired' as const }, 'stale_timestamp'],
		['unsigned', { kind: 'unsigned' as const }, 'missing_header'],
	])(
		'refuses every try of a delivery %s: 401, FLORA retries, nothing starts',
		async (_label, fault, code) => {
			sim.gen.injectCallbackFault(fault);
			const runId = await startRun(sim, h.url);
			const sent = await callbacksSettled(sim, runId, 4);
			expect(sent.map((c) => c.attempt)).toEqual([1, 2, 3, 4]);
			expect(sent.map((c) => c.status)).toEqual([401, 401, 401, 401]);
			expect(h.deliveries.map((d) => (d.body as { error: { code: string } }).error.code)).toEqual([
				code,
				code,
				code,
				code,
			]);
			expect(h.executions).toHaveLength(0);
			expect(runReads(runId)).toHaveLength(0);
		},
	);

	it('accepts a delivery signed during a secret rotation (two v1 values)', async () => {
		sim.gen.injectCallbackFault({ kind: 'rotated' });
		const runId = await startRun(sim, h.url);
		const [callback] = await callbacksSettled(sim, runId);
		expect(callback.headers['flora-signature'].match(/v1=/g)).toHaveLength(2);
		expect(callback.status).toBe(200);
		expect(h.executions).toHaveLength(1);
	});

	it('after a secret rotation in FLORA, refuses until the credential has the new secret', async () => {
		sim.gen.rotateWebhookSecret('ws_demo');
		const runId = await startRun(sim, h.url);
		const sent = await callbacksSettled(sim, runId, 4);
		expect(sent.every((c) => c.status === 401)).toBe(true);
		expect(h.executions).toHaveLength(0);
	});
});

describe('Flora Trigger with Download Outputs', () => {
	it.each(['default', 'filesystem'] as const)(
		'streams a completed run’s image into binary data, bytes as on FLORA’s CDN (%s binary mode)',
		async (binaryMode) => {
			await serve({ parameters: { options: { downloadOutputs: true } }, binaryMode });
			const runId = await startRun(sim, h.url);
			await callbacksSettled(sim, runId);
			expect(h.executions).toHaveLength(1);
			const [item] = h.executions[0];
			const [output] = item.json.outputs as Array<{ url: string }>;
			const file = await sim.gen.file(output.url);
			expect(Object.keys(item.binary ?? {})).toEqual(['data']);
			expect(item.binary?.data.mimeType).toBe(file.content_type);
			if (binaryMode === 'filesystem') expect(item.binary?.data.id).toMatch(/^filesystem/);
			expect(sha256(await readBinary(item))).toBe(file.sha256);
			// The file came from the CDN without FLORA's key.
			const downloads = sim.record.downloads.filter((d) => output.url.endsWith(d.path));
			expect(downloads).toHaveLength(1);
			expect(downloads[0]).toMatchObject({ hasAuthorization: false, completed: true });
		},
	);

	it('keeps text outputs in the JSON and adds no binary for them', async () => {
		await serve({ parameters: { options: { downloadOutputs: true } } });
		const runId = await startRun(sim, h.url, 'technique');
		await callbacksSettled(sim, runId);
		const [item] = h.executions[0];
		expect((item.json.outputs as Array<{ type: string }>).map((o) => o.type)).toEqual(['text']);
		expect(item.binary).toBeUndefined();
		expect(sim.record.downloads).toHaveLength(0);
	});

	it('reads the run for its outputs even with Fetch Run off', async () => {
		await serve({ parameters: { options: { fetchRun: false, downloadOutputs: true } } });
		const runId = await startRun(sim, h.url);
		await callbacksSettled(sim, runId);
		const [item] = h.executions[0];
		expect(item.json).toMatchObject({ run_id: runId, status: 'completed' });
		expect(item.binary?.data).toBeDefined();
	});

	it('answers 500 and remembers nothing when the download fails, so FLORA tries again', async () => {
		await serve({ parameters: { options: { downloadOutputs: true } } });
		// Every GET of the output fails: the trigger's download gives up, FLORA's retries too.
		sim.gen.injectCdnFault({ path: /\/outputs\//, kind: 'status', status: 404, times: 100 });
		const runId = await startRun(sim, h.url);
		const sent = await callbacksSettled(sim, runId, 4);
		expect(sent.map((c) => c.status)).toEqual([500, 500, 500, 500]);
		expect(h.executions).toHaveLength(0);
		expect(h.savedStaticData()).toEqual({});
		expect(h.deliveries[0].error?.message).toMatch(/^Could not download the file from /);
	});
});
