import { locator, pairedIndexes, simulatorForFile } from '../harness/flora';
import { calls, descriptionOf, page, runResource } from '../harness/resources';

const sim = simulatorForFile();

const getMany = (parameters: object, extra = {}) =>
	runResource(sim, 'technique', { operation: 'getAll', ...parameters }, extra);

const entry = (n: number) => ({ technique_id: `tech_page_${n}`, name: `Technique ${n}` });

describe('Get many techniques', () => {
	it('lists every technique the key sees with Return All, from GET /techniques', async () => {
		const result = await getMany({ returnAll: true });
		expect(result.error).toBeUndefined();
		expect(result.items.map((i) => i.json.technique_id)).toEqual([
			'tech_product_photo_variants',
			'tech_caption_writer',
			'tech_video_upscale',
			'tech_moodboard_teaser',
			'tech_studio_headshots',
		]);
		expect(result.items[0].json).toMatchObject({ inputs: expect.any(Array), run_cost: 0.12 });
		expect(pairedIndexes(result.items)).toEqual([0, 0, 0, 0, 0]);
		expect(calls(result.requests)).toEqual(['GET /techniques']);
		expect(result.requests[0].query).toEqual({ limit: '100' });
	});

	it('sends the workspace and search filters and outputs what FLORA answers', async () => {
		const result = await getMany({
			returnAll: true,
			filters: { workspaceId: locator('ws_demo', 'list'), query: ' studio ' },
		});
		expect(result.requests[0].query).toEqual({
			workspace_id: 'ws_demo',
			query: 'studio',
			limit: '100',
		});
		// Studio Headshots belongs to ws_studio only; ws_demo sees the other one that mentions "studio".
		expect(result.items.map((i) => i.json.technique_id)).toEqual(['tech_product_photo_variants']);
	});

	it('follows the cursor through several pages with Return All', async () => {
		page(sim, '/techniques', { techniques: [entry(1), entry(2)], meta: { next_cursor: 'c2' } });
		page(sim, '/techniques', { techniques: [entry(3)], meta: { next_cursor: 'c3' } });
		page(sim, '/techniques', { techniques: [entry(4)], meta: { next_cursor: null } });
		const result = await getMany({ returnAll: true });
		expect(result.items.map((i) => i.json.technique_id)).toEqual([
			'tech_page_1',
			'tech_page_2',
			'tech_page_3',
			'tech_page_4',
		]);
		expect(result.requests.map((r) => r.query.cursor)).toEqual([undefined, 'c2', 'c3']);
	});

	it('asks for no more than the limit and stops once it has enough', async () => {
		page(sim, '/techniques', { techniques: [entry(1), entry(2)], meta: { next_cursor: 'c2' } });
		page(sim, '/techniques', { techniques: [entry(3), entry(4)], meta: { next_cursor: 'c3' } });
		const result = await getMany({ returnAll: false, limit: 3 });
		expect(result.items.map((i) => i.json.technique_id)).toEqual([
			'tech_page_1',
			'tech_page_2',
			'tech_page_3',
		]);
		expect(result.requests.map((r) => [r.query.limit, r.query.cursor])).toEqual([
			['3', undefined],
			['1', 'c2'],
		]);
	});

	it('stops with an error when FLORA repeats a page cursor', async () => {
		page(sim, '/techniques', { techniques: [entry(1)], meta: { next_cursor: 'same' } });
		page(sim, '/techniques', { techniques: [entry(2)], meta: { next_cursor: 'same' } });
		const result = await getMany({ returnAll: true });
		expect(result.error?.message).toBe(
			'FLORA returned the same page cursor twice; the list was stopped',
		);
		expect(result.requests).toHaveLength(2);
	});

	it("shows FLORA's 404 for a workspace the key cannot see, with its request ID", async () => {
		const result = await getMany({
			returnAll: true,
			filters: { workspaceId: locator('ws_other') },
		});
		expect(result.error?.constructor.name).toBe('FloraApiError');
		expect(result.error?.message).toBe('FLORA: Workspace not found.');
		expect(descriptionOf(result.error)).toContain(`Request ID: ${result.requests[0].requestId}.`);
	});

	it('retries a 429 on a later page without losing or repeating techniques', async () => {
		page(sim, '/techniques', { techniques: [entry(1)], meta: { next_cursor: 'c2' } });
		sim.inject({
			target: 'api',
			method: 'GET',
			path: '/techniques',
			kind: 'status',
			status: 429,
			code: 'rate_limited',
			retryAfter: '0',
		});
		page(sim, '/techniques', { techniques: [entry(2)], meta: { next_cursor: null } });
		const result = await getMany({ returnAll: true });
		expect(result.items.map((i) => i.json.technique_id)).toEqual(['tech_page_1', 'tech_page_2']);
		expect(result.requests.map((r) => [r.status, r.query.cursor])).toEqual([
			[200, undefined],
			[429, 'c2'],
			[200, 'c2'],
		]);
	});
});
