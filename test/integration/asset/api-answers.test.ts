/** API answers that are not what FLORA sends, over real sockets: never a call on /assets/undefined. */
import {
	bytes,
	createParams,
	imageItem,
	requestsTo,
	runFlora,
	simulatorForFile,
} from '../harness/flora';

const sim = simulatorForFile();

describe('A 2xx answer without FLORA JSON', () => {
	it("a proxy's HTML login page is a clear error, and nothing follows it", async () => {
		sim.inject({
			target: 'api',
			method: 'POST',
			path: '/assets',
			kind: 'status',
			status: 200,
			rawBody: '<!doctype html><title>Sign in</title>',
		});
		const result = await runFlora(sim, {
			parameters: createParams(),
			items: [imageItem(bytes(100))],
		});
		expect(result.error?.message).toMatch(
			/^FLORA: The answer from http:\/\/127\.0\.0\.1:\d+\/api\/v1 was not FLORA's JSON \(HTTP 200, text\/html; charset=utf-8: <!doctype html><title>Sign in<\/title>\)$/,
		);
		expect(sim.record.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['POST /assets']);
	});

	it('JSON without asset_id is a clear error, and nothing follows it', async () => {
		sim.inject({
			target: 'api',
			method: 'POST',
			path: '/assets',
			kind: 'status',
			status: 201,
			body: { status: 'pending_upload' },
		});
		const result = await runFlora(sim, {
			parameters: createParams(),
			items: [imageItem(bytes(100))],
		});
		expect(result.error?.message).toBe("FLORA's answer to POST /assets has no asset_id");
		expect(sim.record.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['POST /assets']);
		expect(requestsTo(sim, 'api', /undefined/)).toEqual([]);
	});
});

describe('Retry-After on 503', () => {
	it('is honoured before the next attempt', async () => {
		const [asset] = sim.seedAssets(1);
		sim.inject({
			target: 'api',
			method: 'GET',
			path: `/assets/${asset.asset_id}`,
			kind: 'status',
			status: 503,
			retryAfter: '2',
		});
		const result = await runFlora(sim, {
			parameters: { operation: 'get', assetId: asset.asset_id },
		});
		expect(result.error).toBeUndefined();
		const [unavailable, ok] = requestsTo(sim, 'api');
		expect([unavailable.status, ok.status]).toEqual([503, 200]);
		// A lower bound only (backoff alone would wait under 0.5 s).
		expect(ok.startedAt - unavailable.endedAt!).toBeGreaterThanOrEqual(1900);
	});
});
