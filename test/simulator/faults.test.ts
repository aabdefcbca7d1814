import { startSimulator } from './index';
import { SpecValidator } from './openapi';
import { Client, formFor, multipartAround, pngBytes, req, upload } from './testkit';
import type { Simulator } from './types';

let sim: Simulator;
let api: Client;
const spec = new SpecValidator();
const signed = {
	source: 'signed-url',
	workspace_id: 'ws_demo',
	file_name: 'hero.png',
	content_type: 'image/png',
};

beforeAll(async () => {
	sim = await startSimulator({ quiet: true });
	api = new Client(sim);
});
afterAll(() => sim.close());
beforeEach(() => sim.reset());

describe('status faults', () => {
	it('api: FLORA error body with Retry-After, used up after `times`', async () => {
		sim.inject({
			target: 'api',
			method: 'POST',
			path: '/assets',
			kind: 'status',
			status: 429,
			retryAfter: '2',
			times: 2,
		});
		for (let i = 0; i < 2; i++) {
			const r = await api.post('/assets', signed);
			expect(r.status).toBe(429);
			expect(r.headers['retry-after']).toBe('2');
			expect(r.json).toEqual({ error: { code: 'rate_limited', message: 'Rate limit exceeded.' } });
			expect(spec.check('post', '/assets', 429, r.json)).toBeUndefined();
		}
		expect((await api.post('/assets', signed)).status).toBe(201);
		expect(sim.assets()).toHaveLength(1);
		expect(sim.record.countByStatus({ origin: 'api', path: '/assets' })).toEqual({
			'201': 1,
			'429': 2,
		});
		expect(sim.record.requests[0].fault).toBe('status');
	});

	it('api: skip lets matches through first; RegExp paths and methods match; custom code and body', async () => {
		sim.inject({
			target: 'api',
			path: /^\/assets\/[^/]+$/,
			method: 'GET',
			kind: 'status',
			status: 503,
			skip: 1,
		});
		sim.inject({
			target: 'api',
			path: '/workspaces',
			kind: 'status',
			status: 500,
			code: 'unknown_error',
			message: 'boom',
		});
		sim.inject({
			target: 'api',
			path: '/projects',
			kind: 'status',
			status: 502,
			body: { raw: true },
		});
		const created = await api.reserve();
		expect((await api.get(`/assets/${created.asset_id}`)).status).toBe(200);
		const second = await api.get(`/assets/${created.asset_id}`);
		expect(second.status).toBe(503);
		expect(second.json.error.code).toBe('unknown_error');
		expect((await api.get(`/assets/${created.asset_id}`)).status).toBe(200);
		expect((await api.get('/workspaces')).json).toEqual({
			error: { code: 'unknown_error', message: 'boom' },
		});
		expect((await api.get('/projects?workspace_id=ws_demo')).json).toEqual({ raw: true });
	});

	it('upload: ImageKit error body; the token is spent anyway', async () => {
		sim.inject({ target: 'upload', kind: 'status', status: 500, message: 'ImageKit is down' });
		const created = await api.reserve();
		const form = formFor(created, { data: pngBytes(2, 2) });
		const r = await upload(created.upload.url, form);
		expect(r.status).toBe(500);
		expect(r.json).toEqual({ message: 'ImageKit is down', help: expect.any(String) });
		expect((await upload(created.upload.url, form)).status).toBe(400);
		expect(sim.record.violations.map((v) => v.kind)).toEqual(['token-reused']);
		const retried = (await api.post(`/assets/${created.asset_id}/retry`)).json;
		expect(
			(await upload(retried.upload.url, formFor(retried, { data: pngBytes(2, 2) }))).status,
		).toBe(200);
	});
});

describe('reset faults', () => {
	it('api: the socket is destroyed before anything is applied', async () => {
		sim.inject({ target: 'api', method: 'POST', path: '/assets', kind: 'reset' });
		await expect(api.post('/assets', signed)).rejects.toThrow(/socket hang up|ECONNRESET/);
		expect(sim.assets()).toHaveLength(0);
		expect(sim.record.requests[0].status).toBe('reset');
		expect((await api.post('/assets', signed)).status).toBe(201);
	});

	it('upload: reset mid-body after afterBytes; the token is spent once it was read', async () => {
		const created = await api.reserve();
		const around = multipartAround(Object.entries(created.upload.form_fields), {
			name: 'file',
			filename: 'hero.png',
			contentType: 'image/png',
		});
		sim.inject({ target: 'upload', kind: 'reset', afterBytes: around.head.length + 100_000 });
		await expect(
			req(created.upload.url, {
				method: 'POST',
				headers: { 'content-type': around.contentType },
				stream: {
					head: around.head,
					size: 4 * 1024 * 1024,
					tail: around.tail,
					chunkSize: 64 * 1024,
				},
			}),
		).rejects.toThrow(/socket hang up|ECONNRESET|EPIPE/);
		const up = sim.record.uploads[0];
		expect(up).toMatchObject({
			status: 'reset',
			ok: false,
			token: created.upload.form_fields.token,
		});
		// The parser holds back a delimiter's length of the last bytes it saw.
		expect(up.size).toBeGreaterThan(99_900);
		expect(up.size).toBeLessThanOrEqual(100_000);
		expect(
			sim.record.requests.find((r) => r.origin === 'upload')?.bodyBytes,
		).toBeGreaterThanOrEqual(around.head.length + 100_000);
		expect(sim.assets()[0].uploads).toBe(0);
		expect(
			(await upload(created.upload.url, formFor(created, { data: pngBytes(2, 2) }))).status,
		).toBe(400);
		expect(sim.record.violations.map((v) => v.kind)).toEqual(['token-reused']);
	});

	it('upload: reset at byte 0 leaves the token unused', async () => {
		sim.inject({ target: 'upload', kind: 'reset' });
		const created = await api.reserve();
		const form = formFor(created, { data: pngBytes(2, 2) });
		await expect(upload(created.upload.url, form)).rejects.toThrow();
		expect((await upload(created.upload.url, form)).status).toBe(200);
	});
});

describe('delay and lost responses', () => {
	it('delay: the answer comes after ms', async () => {
		sim.inject({ target: 'api', path: '/workspaces', kind: 'delay', ms: 150 });
		const t = Date.now();
		expect((await api.get('/workspaces')).status).toBe(200);
		expect(Date.now() - t).toBeGreaterThanOrEqual(140);
	});

	it('delay (upload): stored, answered late', async () => {
		sim.inject({ target: 'upload', kind: 'delay', ms: 150 });
		const created = await api.reserve();
		const t = Date.now();
		expect(
			(await upload(created.upload.url, formFor(created, { data: pngBytes(2, 2) }))).status,
		).toBe(200);
		expect(Date.now() - t).toBeGreaterThanOrEqual(140);
		expect(sim.record.requests.find((r) => r.origin === 'upload')?.fault).toBe('delay');
	});

	it('delay: a client that gives up still had its request applied (idempotency then says 409)', async () => {
		sim.inject({ target: 'api', method: 'POST', path: '/assets', kind: 'delay', ms: 300 });
		const h = {
			authorization: `Bearer ${sim.apiKey}`,
			'content-type': 'application/json',
			'idempotency-key': 'k-delay',
		};
		await expect(
			req(`${sim.apiBaseUrl}/assets`, {
				method: 'POST',
				headers: h,
				body: JSON.stringify(signed),
				timeoutMs: 50,
			}),
		).rejects.toThrow(/client timeout/);
		expect(sim.assets()).toHaveLength(1);
		expect((await api.post('/assets', signed, { 'idempotency-key': 'k-delay' })).status).toBe(409);
	});

	it('lostResponse (api): applied, then dropped; the idempotency key is remembered', async () => {
		sim.inject({ target: 'api', method: 'POST', path: '/assets', kind: 'lostResponse' });
		await expect(api.post('/assets', signed, { 'idempotency-key': 'k-lost' })).rejects.toThrow(
			/socket hang up|ECONNRESET/,
		);
		expect(sim.assets()).toHaveLength(1);
		expect(sim.record.requests[0]).toMatchObject({ status: 'lost', idempotencyKey: 'k-lost' });
		expect(sim.record.creates).toBe(1);
		const again = await api.post('/assets', signed, { 'idempotency-key': 'k-lost' });
		expect(again.status).toBe(409);
		expect(sim.record.duplicatesPrevented).toBe(1);
	});

	it('lostResponse (complete): the asset is ready although the client saw no answer', async () => {
		const created = await api.reserve();
		await upload(created.upload.url, formFor(created, { data: pngBytes(2, 2) }));
		sim.inject({ target: 'api', path: /\/complete$/, kind: 'lostResponse' });
		await expect(api.post(`/assets/${created.asset_id}/complete`)).rejects.toThrow();
		expect(sim.assets()[0].status).toBe('ready');
		expect((await api.get(`/assets/${created.asset_id}`)).json.status).toBe('ready');
	});

	it('lostResponse (upload): stored, then dropped; complete works, a re-send reuses the token', async () => {
		sim.inject({ target: 'upload', kind: 'lostResponse' });
		const created = await api.reserve();
		const form = formFor(created, { data: pngBytes(2, 2) });
		await expect(upload(created.upload.url, form)).rejects.toThrow(/socket hang up|ECONNRESET/);
		expect(sim.record.uploads[0]).toMatchObject({ ok: true, status: 'lost' });
		expect(sim.record.requests.find((r) => r.origin === 'upload')?.status).toBe('lost');
		expect((await upload(created.upload.url, form)).status).toBe(400);
		expect((await api.post(`/assets/${created.asset_id}/complete`)).json.status).toBe('ready');
	});
});

describe('expireForm', () => {
	it('the next issued form is already expired and the upload host refuses it; retry recovers', async () => {
		sim.inject({ target: 'api', kind: 'expireForm' });
		await api.get('/workspaces'); // ordinary requests do not use it up
		const created = await api.reserve();
		expect(Date.parse(created.expires_at)).toBeLessThan(Date.now());
		const r = await upload(created.upload.url, formFor(created, { data: pngBytes(2, 2) }));
		expect(r.status).toBe(400);
		expect(r.json.message).toMatch(/expired/);
		expect(sim.record.violations.map((v) => v.kind)).toEqual(['expired-form']);
		const retried = (await api.post(`/assets/${created.asset_id}/retry`)).json;
		expect(Date.parse(retried.expires_at)).toBeGreaterThan(Date.now());
		expect(
			(await upload(retried.upload.url, formFor(retried, { data: pngBytes(2, 2) }))).status,
		).toBe(200);
	});

	it('can target retry only', async () => {
		sim.inject({ target: 'api', path: /\/retry$/, kind: 'expireForm' });
		const created = await api.reserve();
		expect(Date.parse(created.expires_at)).toBeGreaterThan(Date.now());
		const retried = (await api.post(`/assets/${created.asset_id}/retry`)).json;
		expect(Date.parse(retried.expires_at)).toBeLessThan(Date.now());
	});
});

describe('redirect', () => {
	it('upload: 307 to the redirect origin with the same path and query; it accepts and records', async () => {
		sim.inject({ target: 'upload', kind: 'redirect' });
		const created = await api.reserve();
		const form = formFor(created, { data: pngBytes(2, 2) });
		const r = await upload(`${created.upload.url}?x=1`, form);
		expect(r.status).toBe(307);
		expect(r.headers.location).toBe(`${sim.redirectOrigin}/api/v1/files/upload?x=1`);
		// A client that wrongly carries Authorization across the redirect is caught.
		const followed = await upload(r.headers.location!, form, {
			headers: { authorization: `Bearer ${sim.apiKey}` },
		});
		expect(followed.status).toBe(200);
		expect(sim.record.uploads.map((u) => [u.origin, u.ok])).toEqual([['redirect', true]]);
		expect(sim.record.violations).toEqual([
			expect.objectContaining({ origin: 'redirect', kind: 'authorization-on-upload' }),
		]);
	});

	it('308 is available, and api redirects point at the redirect origin too', async () => {
		sim.inject({ target: 'upload', kind: 'redirect', status: 308 });
		expect((await req(sim.uploadUrl, { method: 'POST', body: 'x' })).status).toBe(308);
		sim.inject({ target: 'api', path: '/workspaces', kind: 'redirect' });
		const r = await api.get('/workspaces');
		expect(r.status).toBe(307);
		expect(r.headers.location).toBe(`${sim.redirectOrigin}/api/v1/workspaces`);
		await req(r.headers.location!, { headers: { authorization: `Bearer ${sim.apiKey}` } });
		expect(sim.record.violations.map((v) => [v.origin, v.kind])).toEqual([
			['redirect', 'authorization-on-upload'],
		]);
	});
});

describe('echoAuth', () => {
	it('answers an error whose message carries the Authorization header verbatim', async () => {
		sim.inject({ target: 'api', kind: 'echoAuth' });
		const r = await api.get('/workspaces');
		expect(r.status).toBe(401);
		expect(r.json.error.message).toContain(`Bearer ${sim.apiKey}`);
		expect(spec.check('get', '/workspaces', 401, r.json)).toBeUndefined();
		sim.inject({ target: 'api', kind: 'echoAuth', status: 400 });
		expect((await api.get('/workspaces')).status).toBe(400);
		expect(JSON.stringify(sim.record)).not.toContain(sim.apiKey);
	});
});

describe('fault queue', () => {
	it('clearFaults drops queued faults; invalid faults are refused', async () => {
		sim.inject({ target: 'api', kind: 'status', status: 500 });
		sim.clearFaults();
		expect((await api.get('/workspaces')).status).toBe(200);
		expect(() => sim.inject({ target: 'api', kind: 'nope' } as never)).toThrow(
			/unknown fault kind/,
		);
		expect(() => sim.inject({ target: 'api', kind: 'status', status: 42 })).toThrow();
	});
});
