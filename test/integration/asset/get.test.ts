import { pairedIndexes, requestsTo, runFlora, simulatorForFile } from '../harness/flora';

const sim = simulatorForFile();

const getParams = (assetId: string) => ({ operation: 'get', assetId });

describe('Get an asset', () => {
	it('returns the asset as FLORA sends it, from one GET /assets/{id}', async () => {
		const [asset] = sim.seedAssets(1, { name: 'hero.png' });
		const result = await runFlora(sim, { parameters: getParams(asset.asset_id) });
		expect(result.error).toBeUndefined();
		expect(result.items).toHaveLength(1);
		expect(result.items[0].json).toMatchObject({
			asset_id: asset.asset_id,
			name: 'hero.png',
			status: 'ready',
			url: asset.url,
			workspace_id: 'ws_demo',
			content_type: 'image/png',
			created_at: asset.created_at,
		});
		expect(pairedIndexes(result.items)).toEqual([0]);
		const requests = requestsTo(sim, 'api');
		expect(requests.map((r) => `${r.method} ${r.path}`)).toEqual([`GET /assets/${asset.asset_id}`]);
	});

	it('gets one asset per input item, in input order', async () => {
		const seeded = sim.seedAssets(3);
		const result = await runFlora(sim, {
			parameters: getParams('={{ $json.id }}'),
			items: [...seeded].reverse().map((a) => ({ json: { id: a.asset_id } })),
		});
		expect(result.items.map((i) => i.json.asset_id)).toEqual(
			[...seeded].reverse().map((a) => a.asset_id),
		);
		expect(pairedIndexes(result.items)).toEqual([0, 1, 2]);
	});

	it('says "not found or not accessible" for an ID FLORA does not know, as an API error with its code and request ID', async () => {
		const result = await runFlora(sim, { parameters: getParams('asset_doesnotexist') });
		expect(result.error?.message).toBe(
			'FLORA: Asset asset_doesnotexist was not found or is not accessible',
		);
		expect(result.error?.constructor.name).toBe('FloraApiError');
		const [request] = requestsTo(sim, 'api');
		expect(request.requestId).toMatch(/^req_/);
		expect((result.error as { flora?: unknown }).flora).toMatchObject({
			status: 404,
			code: 'not_found',
			requestId: request.requestId,
		});
		expect((result.error as { httpCode?: string }).httpCode).toBe('404');
		const description = String((result.error as { description?: string }).description);
		expect(description).toContain('FLORA answered 404 not_found.');
		expect(description).toContain('for ones this key cannot see');
		expect(description).toContain(`Request ID: ${request.requestId}.`);
		expect((result.error as { context?: { itemIndex?: number } }).context?.itemIndex).toBe(0);
	});

	it('gives the same answer for an asset in a workspace the key cannot see', async () => {
		const [hidden] = sim.seedAssets(1, { workspace_id: 'ws_someone_else' });
		const result = await runFlora(sim, { parameters: getParams(hidden.asset_id) });
		expect(result.error?.message).toBe(
			`FLORA: Asset ${hidden.asset_id} was not found or is not accessible`,
		);
		expect(JSON.stringify(result.items)).not.toContain('ws_someone_else');
	});

	it('keeps the other items going under Continue On Fail, the missing one as an error item', async () => {
		const [a, b] = sim.seedAssets(2);
		const result = await runFlora(sim, {
			parameters: getParams('={{ $json.id }}'),
			items: [
				{ json: { id: a.asset_id } },
				{ json: { id: 'asset_gone' } },
				{ json: { id: b.asset_id } },
			],
			nodeSettings: { continueOnFail: true },
		});
		expect(result.error).toBeUndefined();
		expect(result.items.map((i) => i.json.asset_id ?? i.json.message)).toEqual([
			a.asset_id,
			'FLORA: Asset asset_gone was not found or is not accessible',
			b.asset_id,
		]);
		expect(result.items[1].json.error).toMatchObject({
			code: 'not_found',
			http_code: 404,
			request_id: expect.stringMatching(/^req_/),
		});
		expect(pairedIndexes(result.items)).toEqual([0, 1, 2]);
	});

	it('keeps an ID with slashes inside the one asset path', async () => {
		const result = await runFlora(sim, { parameters: getParams('asset_x/../../workspaces') });
		expect(result.error?.message).toBe(
			'FLORA: Asset asset_x/../../workspaces was not found or is not accessible',
		);
		const [request] = requestsTo(sim, 'api');
		expect(request.path).toBe('/assets/asset_x%2F..%2F..%2Fworkspaces');
		expect(requestsTo(sim, 'api', /^\/workspaces/)).toHaveLength(0);
	});

	it('reports other FLORA errors as FLORA API errors, not as "not found"', async () => {
		const [asset] = sim.seedAssets(1);
		sim.inject({
			target: 'api',
			method: 'GET',
			path: `/assets/${asset.asset_id}`,
			kind: 'status',
			status: 403,
			code: 'forbidden',
			message: 'Forbidden.',
		});
		const result = await runFlora(sim, { parameters: getParams(asset.asset_id) });
		expect(result.error?.message).toBe('FLORA: Forbidden.');
		expect(result.error?.constructor.name).toBe('FloraApiError');
	});

	it('retries a 503 and then returns the asset', async () => {
		const [asset] = sim.seedAssets(1);
		sim.inject({
			target: 'api',
			method: 'GET',
			path: `/assets/${asset.asset_id}`,
			kind: 'status',
			status: 503,
		});
		const result = await runFlora(sim, { parameters: getParams(asset.asset_id) });
		expect(result.error).toBeUndefined();
		expect(result.items[0].json.asset_id).toBe(asset.asset_id);
		expect(requestsTo(sim, 'api').map((r) => r.status)).toEqual([503, 200]);
	});
});
