import { pairedIndexes, simulatorForFile } from '../harness/flora';
import { calls, runResource } from '../harness/resources';

const sim = simulatorForFile();

const getMany = (parameters: object, extra = {}) =>
	runResource(sim, 'model', { operation: 'getAll', ...parameters }, extra);

describe('Get many models', () => {
	it('lists every model with its estimates and parameters, from one GET /models', async () => {
		const result = await getMany({ returnAll: true });
		expect(result.error).toBeUndefined();
		expect(result.items.length).toBeGreaterThanOrEqual(7);
		expect(result.items[0].json).toMatchObject({
			model_id: 'flora-image-1',
			type: 'image',
			estimated_credits: 4,
			estimated_seconds: 8,
			params: expect.any(Array),
		});
		expect(new Set(result.items.map((i) => i.json.type))).toEqual(
			new Set(['image', 'video', 'audio', 'text']),
		);
		expect(calls(result.requests)).toEqual(['GET /models']);
		// FLORA does not paginate models: no limit or cursor goes out.
		expect(result.requests[0].query).toEqual({});
	});

	it('sends the type filter and outputs only those models', async () => {
		const result = await getMany({ returnAll: true, filters: { type: 'video' } });
		expect(result.requests[0].query).toEqual({ type: 'video' });
		expect(result.items.map((i) => i.json.model_id)).toEqual(['veo-3', 'kling-2.1']);
	});

	it('applies the limit itself, from the one answer', async () => {
		const result = await getMany({ returnAll: false, limit: 2 });
		expect(result.items.map((i) => i.json.model_id)).toEqual(['flora-image-1', 'flux-1.1-pro']);
		expect(result.requests).toHaveLength(1);
		expect(result.requests[0].query).toEqual({});
	});

	it('lists per item with its own type, paired', async () => {
		const result = await getMany(
			{ returnAll: true, filters: { type: '={{ $json.type }}' } },
			{ items: [{ json: { type: 'audio' } }, { json: { type: 'text' } }] },
		);
		expect(result.requests.map((r) => r.query.type)).toEqual(['audio', 'text']);
		expect(result.items.map((i) => i.json.model_id)).toEqual(['eleven-multilingual-v2', 'gpt-4o']);
		expect(pairedIndexes(result.items)).toEqual([0, 1]);
	});

	it('retries a 429 and a 503, then lists', async () => {
		sim.inject({
			target: 'api',
			method: 'GET',
			path: '/models',
			kind: 'status',
			status: 429,
			code: 'rate_limited',
			retryAfter: '0',
		});
		sim.inject({ target: 'api', method: 'GET', path: '/models', kind: 'status', status: 503 });
		const result = await getMany({ returnAll: true, filters: { type: 'text' } });
		expect(result.items.map((i) => i.json.model_id)).toContain('gpt-4o');
		expect(result.requests.map((r) => r.status)).toEqual([429, 503, 200]);
	});
});
