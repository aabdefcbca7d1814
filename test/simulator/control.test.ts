import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { startSimulator } from './index';
import { Client, formFor, pngBytes, req, upload } from './testkit';
import type { Simulator } from './types';

let sim: Simulator;
let api: Client;

beforeAll(async () => {
	sim = await startSimulator({ quiet: true });
	api = new Client(sim);
});
afterAll(() => sim.close());
beforeEach(() => sim.reset());

const ctl = (method: string, path: string, body?: unknown) =>
	req(`${sim.apiOrigin}/__sim${path}`, {
		method,
		headers: body !== undefined ? { 'content-type': 'application/json' } : {},
		body: body !== undefined ? JSON.stringify(body) : undefined,
	});

describe('control API', () => {
	it('lists its endpoints and is neither recorded nor authenticated', async () => {
		const r = await ctl('GET', '');
		expect(r.status).toBe(200);
		expect(r.json.endpoints.length).toBeGreaterThan(5);
		await ctl('GET', '/record');
		expect(sim.record.requests).toHaveLength(0);
		expect((await ctl('GET', '/nope')).status).toBe(404);
	});

	it('queues faults from JSON (RegExp paths too), lists and clears them', async () => {
		const queued = await ctl('POST', '/faults', [
			{
				target: 'api',
				path: { regex: '^/assets/[^/]+/complete$' },
				kind: 'status',
				status: 503,
				retryAfter: '1',
			},
			{ target: 'api', path: '/workspaces', kind: 'status', status: 500 },
		]);
		expect(queued.json).toEqual({ queued: 2 });
		expect((await ctl('GET', '/faults')).json.faults[0].path).toEqual({
			regex: expect.stringContaining('complete$'),
			flags: '',
		});
		const created = await api.reserve();
		await upload(created.upload.url, formFor(created, { data: pngBytes(2, 2) }));
		const r = await api.post(`/assets/${created.asset_id}/complete`);
		expect(r.status).toBe(503);
		expect(r.headers['retry-after']).toBe('1');
		expect((await ctl('DELETE', '/faults')).json).toEqual({ cleared: true });
		expect((await api.get('/workspaces')).status).toBe(200);
		expect((await ctl('POST', '/faults', { target: 'api', kind: 'bogus' })).status).toBe(400);
	});

	it('serves the record and the assets, seeds assets, resets', async () => {
		const created = await api.reserve();
		await upload(created.upload.url, formFor(created, { data: pngBytes(2, 2) }));
		await api.post(`/assets/${created.asset_id}/complete`);
		const record = (await ctl('GET', '/record')).json;
		expect(record).toMatchObject({
			creates: 1,
			completes: 1,
			retries: 0,
			duplicatesPrevented: 0,
			violations: [],
		});
		expect(record.byStatus).toEqual({ '200': 2, '201': 1 });
		expect(record.requests.map((r: { origin: string }) => r.origin)).toEqual([
			'api',
			'upload',
			'api',
		]);
		expect(record.uploads[0].sha256).toMatch(/^[0-9a-f]{64}$/);

		expect((await ctl('GET', '/assets?status=ready')).json.assets).toHaveLength(1);
		expect((await ctl('GET', '/assets?status=failed')).json.assets).toHaveLength(0);
		const seeded = await ctl('POST', '/assets/seed', { n: 3, base: { workspace_id: 'ws_studio' } });
		expect(seeded.json.assets).toHaveLength(3);
		expect((await api.get('/assets?workspace_id=ws_studio')).json.assets).toHaveLength(3);

		expect((await ctl('POST', '/reset')).json).toEqual({ reset: true });
		expect(sim.assets()).toHaveLength(0);
		expect(sim.record.requests).toHaveLength(0);
		expect(sim.record.creates).toBe(0);
	});

	it('configures options at runtime', async () => {
		const r = await ctl('POST', '/configure', {
			urlReadyAfterPolls: 0,
			latencyMs: 0,
			projectsPerWorkspace: 2,
		});
		expect(r.json).toMatchObject({ urlReadyAfterPolls: 0, projectsPerWorkspace: 2 });
		expect((await api.get('/projects?workspace_id=ws_demo')).json.projects).toHaveLength(2);
		const c = await api.post('/assets', {
			source: 'https://media.example.com/a.png',
			workspace_id: 'ws_demo',
		});
		expect((await api.get(`/assets/${c.json.asset_id}`)).json.status).toBe('ready');
		expect((await ctl('GET', '/config')).json.urlReadyAfterPolls).toBe(0);
		await ctl('POST', '/configure', { urlReadyAfterPolls: 2, projectsPerWorkspace: 7 });
		expect((await ctl('POST', '/configure', [])).status).toBe(400);
	});

	it('countByStatus filters by origin, method and path', async () => {
		await api.get('/workspaces');
		await api.get('/nope');
		await req(`${sim.uploadOrigin}/nope`);
		expect(sim.record.countByStatus()).toEqual({ '200': 1, '404': 2 });
		expect(sim.record.countByStatus({ origin: 'api' })).toEqual({ '200': 1, '404': 1 });
		expect(sim.record.countByStatus({ method: 'get', path: /^\/work/ })).toEqual({ '200': 1 });
	});
});

describe('CLI', () => {
	it('starts, prints the URLs and the key, serves, and stops on SIGINT', async () => {
		const root = join(__dirname, '..', '..');
		const child = spawn(
			process.execPath,
			[
				'-r',
				'ts-node/register/transpile-only',
				'test/simulator/cli.ts',
				'--quiet',
				'--key',
				'sk_live_cli',
			],
			{
				cwd: root,
				stdio: ['ignore', 'pipe', 'pipe'],
			},
		);
		let out = '';
		child.stdout.on('data', (c: Buffer) => (out += c.toString()));
		child.stderr.on('data', (c: Buffer) => (out += c.toString()));
		try {
			const deadline = Date.now() + 40_000;
			while (!/Ctrl-C/.test(out) && Date.now() < deadline)
				await new Promise((r) => setTimeout(r, 50));
			expect(out).toMatch(/API key\s+sk_live_cli/);
			const base = /API base URL\s+(\S+)/.exec(out)![1];
			expect(out).toContain('/__sim/record');
			expect(out).toMatch(/CDN origin\s+http:\/\/127\.0\.0\.1:\d+/);
			expect(out).toContain('ws_demo=whsec_sim_demo');
			expect(out).toContain('Webhook Secret = whsec_sim_demo');
			const r = await req(`${base}/workspaces`, {
				headers: { authorization: 'Bearer sk_live_cli' },
			});
			expect(r.status).toBe(200);
			const exited = new Promise<number | null>((resolve) =>
				child.on('exit', (code) => resolve(code)),
			);
			child.kill('SIGINT');
			expect(await exited).toBe(0);
			expect(out).toContain('simulator stopped');
		} finally {
			if (child.exitCode === null) child.kill('SIGKILL');
		}
	}, 60_000);
});
