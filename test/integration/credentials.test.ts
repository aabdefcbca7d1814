import { simulatorForFile } from './harness/flora';
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
});
