import { pairedIndexes, simulatorForFile } from '../harness/flora';
import {
	calls,
	expectNotFound,
	itemValue,
	runResource,
	startCaptionRuns,
	startGenerations,
} from '../harness/resources';

const sim = simulatorForFile({ runDurationMs: 60_000 });

const get = (runId: string, extra: object = {}, techniqueId?: string) =>
	runResource(
		sim,
		'run',
		{ operation: 'get', runId, ...(techniqueId === undefined ? {} : { techniqueId }) },
		extra,
	);

describe('Get a run', () => {
	it('returns the run as FLORA reports it, from one GET /runs/{id}', async () => {
		const [runId] = await startGenerations(sim, 1);
		const result = await get(runId);
		expect(result.error).toBeUndefined();
		expect(result.items[0].json).toMatchObject({
			run_id: runId,
			status: expect.stringMatching(/^(pending|running)$/),
			progress: expect.any(Number),
		});
		expect(calls(result.requests)).toEqual([`GET /runs/${runId}`]);
		expect(result.requests[0].hasAuthorization).toBe(true);
	});

	it('returns a finished run with its outputs', async () => {
		const [runId] = await startGenerations(sim, 1);
		sim.gen.finishRun(runId);
		const result = await get(runId);
		expect(result.items[0].json).toMatchObject({
			run_id: runId,
			status: 'completed',
			outputs: [expect.objectContaining({ type: 'imageUrl', url: expect.any(String) })],
		});
	});

	it('reads a technique run through its technique when Technique ID is set', async () => {
		const [runId] = await startCaptionRuns(sim, 1);
		const byId = await get(runId, {}, 'tech_caption_writer');
		const bySlug = await get(runId, {}, 'caption-writer');
		expect(byId.items[0].json.run_id).toBe(runId);
		expect(bySlug.items[0].json.run_id).toBe(runId);
		expect([...calls(byId.requests), ...calls(bySlug.requests)]).toEqual([
			`GET /techniques/tech_caption_writer/runs/${runId}`,
			`GET /techniques/caption-writer/runs/${runId}`,
		]);
	});

	it('gets one run per item, paired; items sharing a run ID each get it', async () => {
		const [a, b] = await startGenerations(sim, 2);
		const result = await get(itemValue, {
			items: [{ json: { v: b } }, { json: { v: a } }, { json: { v: b } }],
		});
		expect(result.items.map((i) => i.json.run_id)).toEqual([b, a, b]);
		expect(pairedIndexes(result.items)).toEqual([0, 1, 2]);
		expect(result.requests).toHaveLength(3);
	});

	it("fails with FLORA's 404 as an API error with its code and request ID", async () => {
		const result = await get('run_missing');
		expectNotFound(result, 'FLORA: Run not found.');
	});

	it('answers 404 for a run read through another technique', async () => {
		const [runId] = await startCaptionRuns(sim, 1);
		const result = await get(runId, {}, 'moodboard-teaser');
		expect(result.error?.message).toBe('FLORA: Run not found.');
		expect(calls(result.requests)).toEqual([`GET /techniques/moodboard-teaser/runs/${runId}`]);
	});

	it('pairs a missing run with its item under Continue On Fail', async () => {
		const [runId] = await startGenerations(sim, 1);
		const result = await get(itemValue, {
			items: [{ json: { v: 'run_gone' } }, { json: { v: runId } }],
			nodeSettings: { continueOnFail: true },
		});
		expect(
			result.items.map((i) => i.json.run_id ?? (i.json.error as { code?: string }).code),
		).toEqual(['not_found', runId]);
		expect((result.items[0].json.error as { request_id?: string }).request_id).toBe(
			result.requests[0].requestId,
		);
		expect(pairedIndexes(result.items)).toEqual([0, 1]);
	});

	it('sends a failed item to the error output with "Continue (using error output)"', async () => {
		const [runId] = await startGenerations(sim, 1);
		const result = await get(itemValue, {
			items: [{ json: { v: runId } }, { json: { v: 'run_gone' } }],
			nodeSettings: { onError: 'continueErrorOutput' },
		});
		expect(result.error).toBeUndefined();
		expect(result.outputs[0].map((i) => i.json.run_id)).toEqual([runId]);
		expect(result.outputs[1]).toHaveLength(1);
		expect(result.outputs[1][0].json).toMatchObject({
			message: 'FLORA: Run not found.',
			error: {
				message: 'FLORA: Run not found.',
				code: 'not_found',
				http_code: 404,
				request_id: result.requests[1].requestId,
			},
			// n8n adds the input item's fields to an item on the error output.
			v: 'run_gone',
		});
		expect(pairedIndexes(result.outputs[1])).toEqual([1]);
	});

	it('retries a 503 and then returns the run', async () => {
		const [runId] = await startGenerations(sim, 1);
		sim.inject({
			target: 'api',
			method: 'GET',
			path: `/runs/${runId}`,
			kind: 'status',
			status: 503,
		});
		const result = await get(runId);
		expect(result.items[0].json.run_id).toBe(runId);
		expect(result.requests.map((r) => r.status)).toEqual([503, 200]);
	});
});
