import { runFlora, simulatorForFile } from './harness/flora';
import { testCredential } from './harness';

const sim = simulatorForFile();

describe('Flora API credential test', () => {
	it('passes with the right key, by calling GET /workspaces with the bearer key', async () => {
		sim.reset();
		const result = await testCredential('floraApi', {
			apiKey: sim.apiKey,
			baseUrl: sim.apiBaseUrl,
		});
		expect(result).toEqual({ status: 'OK', message: expect.any(String) });
		const [request] = sim.record.requests;
		expect(request).toMatchObject({
			method: 'GET',
			path: '/workspaces',
			hasAuthorization: true,
			status: 200,
		});
	});

	it('accepts a base URL with a trailing slash', async () => {
		const result = await testCredential('floraApi', {
			apiKey: sim.apiKey,
			baseUrl: `${sim.apiBaseUrl}/`,
		});
		expect(result.status).toBe('OK');
	});

	it('fails with a clear message for a wrong key', async () => {
		sim.reset();
		const result = await testCredential('floraApi', {
			apiKey: 'sk_live_wrong',
			baseUrl: sim.apiBaseUrl,
		});
		expect(result.status).toBe('Error');
		expect(result.message).toMatch(/unauthorized|invalid api key|401/i);
		expect(result.message).not.toContain('sk_live_wrong');
		expect(sim.record.requests.every((r) => r.status === 401)).toBe(true);
	});

	it('follows no redirect, so the key never reaches the redirect target', async () => {
		sim.reset();
		sim.inject({
			target: 'api',
			method: 'GET',
			path: '/workspaces',
			kind: 'redirect',
			status: 307,
		});
		const result = await testCredential('floraApi', {
			apiKey: sim.apiKey,
			baseUrl: sim.apiBaseUrl,
		});
		expect(result.status).toBe('Error');
		expect(sim.record.requests.map((r) => `${r.origin} ${r.status}`)).toEqual(['api 307']);
	});

	it('fails for a plain http:// Base URL to another machine, as node runs do, sending nothing', async () => {
		sim.reset();
		const result = await testCredential('floraApi', {
			apiKey: sim.apiKey,
			baseUrl: 'http://flora.example.com/api/v1',
		});
		expect(result.status).toBe('Error');
		expect(sim.record.requests).toEqual([]);
	});
});

describe('A node run with the credential', () => {
	it('refuses a plain http:// Base URL to another machine before any request', async () => {
		sim.reset();
		const result = await runFlora(sim, {
			parameters: { operation: 'get', assetId: 'asset_1' },
			baseUrl: 'http://flora.example.com/api/v1',
		});
		expect(result.error?.message).toBe(
			'The Base URL of the Flora API credential must start with https:// (it is http://flora.example.com/api/v1)',
		);
		expect(sim.record.requests).toEqual([]);
	});

	it('uses the Base URL with a trailing slash as node runs always did', async () => {
		sim.reset();
		const [asset] = sim.seedAssets(1);
		const result = await runFlora(sim, {
			parameters: { operation: 'get', assetId: asset.asset_id },
			baseUrl: `${sim.apiBaseUrl}/`,
		});
		expect(result.error).toBeUndefined();
		expect(sim.record.requests.map((r) => r.path)).toEqual([`/assets/${asset.asset_id}`]);
	});
});
