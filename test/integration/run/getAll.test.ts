import { locator, pairedIndexes, simulatorForFile } from '../harness/flora';
import {
	calls,
	descriptionOf,
	page,
	projectsOf,
	runResource,
	startCaptionRuns,
	startGenerations,
} from '../harness/resources';

const sim = simulatorForFile({ runDurationMs: 60_000 });

const getMany = (parameters: object, extra = {}) =>
	runResource(sim, 'run', { operation: 'getAll', ...parameters }, extra);

describe('Get many runs: generations', () => {
	it('follows the cursor through several pages with Return All, newest first', async () => {
		const ids = await startGenerations(sim, 230);
		const result = await getMany({ runKind: 'generation', returnAll: true });
		expect(result.error).toBeUndefined();
		expect(result.items.map((i) => i.json.run_id)).toEqual([...ids].reverse());
		expect(calls(result.requests)).toEqual([
			'GET /generations',
			'GET /generations',
			'GET /generations',
		]);
		expect(result.requests.map((r) => r.query.limit)).toEqual(['100', '100', '100']);
		expect(result.requests[0].query.cursor).toBeUndefined();
		expect(result.requests[2].query.cursor).not.toBe(result.requests[1].query.cursor);
		expect(result.items[0].json).toMatchObject({
			generation_id: expect.any(String),
			workspace_id: 'ws_demo',
			model: { model_id: expect.any(String) },
		});
		expect(pairedIndexes(result.items).every((i) => i === 0)).toBe(true);
	});

	it('stops in the middle of a later page at the limit', async () => {
		const ids = await startGenerations(sim, 130);
		const result = await getMany({ returnAll: false, limit: 120 });
		expect(result.items.map((i) => i.json.run_id)).toEqual([...ids].reverse().slice(0, 120));
		expect(result.requests.map((r) => r.query.limit)).toEqual(['100', '20']);
	});

	it('sends workspace, project and status filters as FLORA names them', async () => {
		const [first, second] = await projectsOf(sim);
		const inFirst = await startGenerations(sim, 2, { project_id: String(first.project_id) });
		await startGenerations(sim, 2, { project_id: String(second.project_id) });
		sim.gen.finishRun(inFirst[0]);
		const result = await getMany({
			returnAll: true,
			filters: {
				workspaceId: locator('ws_demo', 'list'),
				projectId: locator(String(first.project_id)),
				status: 'completed',
			},
		});
		expect(result.requests[0].query).toEqual({
			workspace_id: 'ws_demo',
			project_id: String(first.project_id),
			status: 'completed',
			limit: '100',
		});
		expect(result.items.map((i) => i.json.run_id)).toEqual([inFirst[0]]);
	});

	it('does not send a technique filter for generations', async () => {
		await startGenerations(sim, 1);
		const result = await getMany({
			runKind: 'generation',
			returnAll: true,
			filters: { techniqueId: locator('caption-writer') },
		});
		expect(result.requests[0].query).toEqual({ limit: '100' });
		expect(result.items).toHaveLength(1);
	});

	it('stops with an error when FLORA repeats a page cursor', async () => {
		const body = (id: string) => ({
			generations: [{ run_id: id }],
			meta: { next_cursor: 'again' },
		});
		page(sim, '/generations', body('run_1'));
		page(sim, '/generations', body('run_2'));
		const result = await getMany({ returnAll: true });
		expect(result.error?.message).toBe(
			'FLORA returned the same page cursor twice; the list was stopped',
		);
		expect(result.requests).toHaveLength(2);
	});

	it('retries a 503 on a later page without losing or repeating runs', async () => {
		const ids = await startGenerations(sim, 150);
		sim.inject({
			target: 'api',
			method: 'GET',
			path: '/generations',
			kind: 'status',
			status: 503,
			skip: 1,
		});
		const result = await getMany({ returnAll: true });
		expect(result.items.map((i) => i.json.run_id)).toEqual([...ids].reverse());
		expect(result.requests.map((r) => r.status)).toEqual([200, 503, 200]);
	});

	it("shows FLORA's answer for a workspace the key cannot see, with its request ID", async () => {
		const result = await getMany({ returnAll: true, filters: { workspaceId: 'ws_other' } });
		expect(result.error?.constructor.name).toBe('FloraApiError');
		expect(result.error?.message).toBe('FLORA: Workspace not found.');
		expect(descriptionOf(result.error)).toContain(`Request ID: ${result.requests[0].requestId}.`);
	});
});

describe('Get many runs: technique runs', () => {
	it('lists technique runs from GET /technique-runs, filtered by technique', async () => {
		const captions = await startCaptionRuns(sim, 3);
		await startGenerations(sim, 2);
		const result = await getMany({
			runKind: 'technique',
			returnAll: true,
			filters: { techniqueId: locator('tech_caption_writer', 'list') },
		});
		expect(result.error).toBeUndefined();
		expect(calls(result.requests)).toEqual(['GET /technique-runs']);
		expect(result.requests[0].query).toEqual({
			technique_id: 'tech_caption_writer',
			limit: '100',
		});
		expect(result.items.map((i) => i.json.run_id)).toEqual([...captions].reverse());
		expect(result.items[0].json.technique_id).toBe('tech_caption_writer');
	});

	it('lists per input item, each result paired with its item', async () => {
		const captions = await startCaptionRuns(sim, 2);
		sim.gen.finishRun(captions[0]);
		const result = await getMany(
			{ runKind: 'technique', returnAll: true, filters: { status: '={{ $json.status }}' } },
			{ items: [{ json: { status: 'completed' } }, { json: { status: 'pending' } }] },
		);
		expect(result.requests.map((r) => r.query.status)).toEqual(['completed', 'pending']);
		expect(result.items.map((i) => i.json.run_id)).toEqual([captions[0], captions[1]]);
		expect(pairedIndexes(result.items)).toEqual([0, 1]);
	});
});
