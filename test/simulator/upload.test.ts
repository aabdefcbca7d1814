import { createHash } from 'node:crypto';
import { startSimulator } from './index';
import {
	Client,
	formFor,
	multipart,
	multipartAround,
	patternSha256,
	pngBytes,
	req,
	upload,
	type Part,
} from './testkit';
import type { Simulator, ViolationKind } from './types';

let sim: Simulator;
let api: Client;

beforeAll(async () => {
	sim = await startSimulator({ quiet: true });
	api = new Client(sim);
});
afterAll(() => sim.close());
beforeEach(() => {
	sim.reset();
	sim.configure({ signedUploadStyle: 'form', uploadTtlSeconds: 3600 });
});

const kinds = () => sim.record.violations.map((v) => v.kind);
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('signed upload end to end', () => {
	it('reserve, upload with exact Content-Length, complete -> ready; bytes recorded', async () => {
		const created = await api.reserve({ folder: 'api-uploads' });
		expect(new URL(created.upload.url).origin).toBe(sim.uploadOrigin);
		expect(sim.uploadOrigin).not.toBe(sim.apiOrigin);
		const data = pngBytes(1024, 768, 10_000);
		const form = formFor(created, { data });
		const r = await upload(created.upload.url, form);
		expect(r.status).toBe(200);
		expect(r.json).toMatchObject({
			name: 'hero.png',
			size: 10_000,
			fileType: 'image',
			width: 1024,
			height: 768,
			filePath: '/flora/ws_demo/api-uploads/hero.png',
			versionInfo: { name: 'Version 1' },
		});
		expect(typeof r.json.fileId).toBe('string');

		const up = sim.record.uploads[0];
		expect(up).toMatchObject({
			origin: 'upload',
			assetId: created.asset_id,
			token: created.upload.form_fields.token,
			fileField: 'file',
			fileName: 'hero.png',
			partContentType: 'image/png',
			size: 10_000,
			sha256: sha(data),
			contentLength: form.body.length,
			chunked: false,
			ok: true,
			status: 200,
		});
		expect(up.fields).toEqual(Object.entries(created.upload.form_fields));
		expect(sim.record.requests.find((q) => q.origin === 'upload')?.bodyBytes).toBe(
			form.body.length,
		);

		const done = await api.post(`/assets/${created.asset_id}/complete`);
		expect(done.json).toMatchObject({ status: 'ready', size_bytes: 10_000 });
		const [asset] = sim.assets({ status: 'ready' });
		expect(asset).toMatchObject({
			sha256: sha(data),
			size_bytes: 10_000,
			upload_content_type: 'image/png',
			uploads: 1,
			completes: 1,
		});
		expect(sim.record.violations).toEqual([]);
	});

	it('streams a large upload without buffering it', async () => {
		const created = await api.reserve({ file_name: 'clip.mp4', content_type: 'video/mp4' });
		const size = 48 * 1024 * 1024;
		const around = multipartAround(Object.entries(created.upload.form_fields), {
			name: 'file',
			filename: 'clip.mp4',
			contentType: 'video/mp4',
		});
		const r = await req(created.upload.url, {
			method: 'POST',
			headers: { 'content-type': around.contentType },
			stream: { head: around.head, size, tail: around.tail },
		});
		expect(r.status).toBe(200);
		expect(sim.record.uploads[0]).toMatchObject({ ok: true, size, sha256: patternSha256(size) });
		expect((await api.post(`/assets/${created.asset_id}/complete`)).json.status).toBe('ready');
	});
});

describe('upload host checks', () => {
	it('uses a token once: a second upload with the same form fails', async () => {
		const created = await api.reserve();
		const form = formFor(created, { data: pngBytes(2, 2) });
		expect((await upload(created.upload.url, form)).status).toBe(200);
		const again = await upload(created.upload.url, form);
		expect(again.status).toBe(400);
		expect(again.json).toEqual({
			message: expect.stringMatching(/already been used/),
			help: expect.any(String),
		});
		expect(kinds()).toEqual(['token-reused']);
	});

	it('spends the token even when the upload fails', async () => {
		const created = await api.reserve();
		const bad = await upload(
			created.upload.url,
			formFor(created, { data: pngBytes(2, 2), filename: null }),
		);
		expect(bad.status).toBe(400);
		const good = await upload(created.upload.url, formFor(created, { data: pngBytes(2, 2) }));
		expect(good.status).toBe(400);
		expect(kinds()).toEqual(['missing-filename', 'token-reused']);
	});

	it('refuses an expired form', async () => {
		sim.configure({ uploadTtlSeconds: -5 });
		const created = await api.reserve();
		expect(Date.parse(created.expires_at)).toBeLessThan(Date.now());
		const r = await upload(created.upload.url, formFor(created, { data: pngBytes(2, 2) }));
		expect(r.status).toBe(400);
		expect(r.json.message).toBe('The upload request has expired. Request a new signature.');
		expect(kinds()).toEqual(['expired-form']);
	});

	const alterations: Array<[string, (parts: Part[]) => Part[], ViolationKind, RegExp]> = [
		['fields out of order', (p) => [p[1], p[0], ...p.slice(2)], 'fields-altered', /out of order/],
		[
			'a changed value',
			(p) => p.map((x) => (x.name === 'fileName' ? { ...x, value: 'other.png' } : x)),
			'fields-altered',
			/changed fileName/,
		],
		[
			'a missing field',
			(p) => p.filter((x) => x.name !== 'useUniqueFileName'),
			'fields-altered',
			/missing useUniqueFileName/,
		],
		['an extra field', (p) => [{ name: 'tags', value: 'x' }, ...p], 'fields-altered', /extra tags/],
		[
			'a field after the file',
			(p) => [
				...p.filter((x) => x.name !== 'customMetadata'),
				p.find((x) => x.name === 'customMetadata')!,
			],
			'file-not-last',
			/customMetadata/,
		],
		[
			'the file under another name',
			(p) => p.map((x) => (x.filename ? { ...x, name: 'upload' } : x)),
			'fields-altered',
			/expected "file"/,
		],
	];

	it.each(alterations)('flags %s', async (_name, mutate, kind, detail) => {
		const created = await api.reserve();
		const r = await upload(created.upload.url, formFor(created, { data: pngBytes(2, 2) }, mutate));
		expect(r.status).toBe(400);
		const v = sim.record.violations.find((x) => x.kind === kind);
		expect(v?.detail).toMatch(detail);
		expect(sim.record.uploads[0].ok).toBe(false);
	});

	it('flags a file part without filename or Content-Type', async () => {
		const created = await api.reserve();
		const r = await upload(
			created.upload.url,
			formFor(created, { data: pngBytes(2, 2), filename: null, contentType: null }),
		);
		expect(r.status).toBe(400);
		expect(kinds()).toEqual(['missing-filename', 'missing-part-content-type']);
	});

	it('flags a chunked upload without Content-Length', async () => {
		const created = await api.reserve();
		const form = formFor(created, { data: pngBytes(2, 2, 5000) });
		const r = await upload(created.upload.url, form, { chunked: 1000 });
		expect(r.status).toBe(411);
		expect(kinds()).toEqual(['chunked-without-content-length']);
		expect(sim.record.uploads[0]).toMatchObject({
			chunked: true,
			contentLength: undefined,
			size: 5000,
		});
	});

	it('flags a Content-Length larger than the body', async () => {
		const created = await api.reserve();
		const form = formFor(created, { data: pngBytes(2, 2) });
		const r = await upload(created.upload.url, form, {
			headers: { 'content-length': form.body.length + 10 },
		});
		expect(r.status).toBe(400);
		expect(kinds()).toEqual(['content-length-mismatch']);
	});

	it('flags a Content-Length smaller than the body', async () => {
		const created = await api.reserve();
		const form = formFor(created, { data: pngBytes(2, 2, 300) });
		// The server reads exactly Content-Length bytes; the rest is garbage on the connection.
		await upload(created.upload.url, form, {
			headers: { 'content-length': form.body.length - 20 },
		}).catch(() => undefined);
		expect(kinds()).toContain('content-length-mismatch');
	});

	it('refuses an unknown token, a missing token and a body that is not multipart', async () => {
		const created = await api.reserve();
		const unknown = await upload(
			created.upload.url,
			formFor(created, { data: pngBytes(2, 2) }, (p) =>
				p.map((x) => (x.name === 'token' ? { ...x, value: 'forged' } : x)),
			),
		);
		expect(unknown.status).toBe(400);
		const missing = await upload(
			created.upload.url,
			formFor(created, { data: pngBytes(2, 2) }, (p) => p.filter((x) => x.name !== 'token')),
		);
		expect(missing.status).toBe(400);
		const json = await req(created.upload.url, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: '{}',
		});
		expect(json.status).toBe(400);
		expect(kinds()).toEqual(['unknown-token', 'unknown-token', 'not-multipart']);
	});

	it('invalidates the old token when retry issues a new form', async () => {
		const created = await api.reserve();
		const retried = (await api.post(`/assets/${created.asset_id}/retry`)).json;
		const old = await upload(created.upload.url, formFor(created, { data: pngBytes(2, 2) }));
		expect(old.status).toBe(400);
		expect(sim.record.violations[0]).toMatchObject({
			kind: 'unknown-token',
			detail: expect.stringMatching(/retry/),
		});
		expect(
			(await upload(retried.upload.url, formFor(retried, { data: pngBytes(2, 2) }))).status,
		).toBe(200);
		expect((await api.post(`/assets/${created.asset_id}/complete`)).json.status).toBe('ready');
		expect(sim.record.retries).toBe(1);
	});

	it('records an Authorization header sent to the upload host, and still answers', async () => {
		const created = await api.reserve();
		const r = await upload(created.upload.url, formFor(created, { data: pngBytes(2, 2) }), {
			headers: { authorization: `Bearer ${sim.apiKey}` },
		});
		expect(r.status).toBe(200);
		expect(sim.record.violations).toEqual([
			expect.objectContaining({ origin: 'upload', kind: 'authorization-on-upload' }),
		]);
		expect(JSON.stringify(sim.record)).not.toContain(sim.apiKey);
	});

	it('refuses an empty file and unknown paths', async () => {
		const created = await api.reserve();
		expect(
			(await upload(created.upload.url, formFor(created, { data: Buffer.alloc(0) }))).status,
		).toBe(400);
		expect((await req(`${sim.uploadOrigin}/elsewhere`)).status).toBe(404);
		expect((await req(sim.uploadUrl, { method: 'PUT', body: 'x' })).status).toBe(405);
	});
});

describe('presigned PUT style (the SDK fallback: upload_url without upload)', () => {
	it('takes the raw bytes by PUT at upload_url', async () => {
		sim.configure({ signedUploadStyle: 'put' });
		const created = await api.reserve();
		expect(created.upload).toBeUndefined();
		expect(created.upload_url.startsWith(`${sim.uploadOrigin}/api/v1/files/put/`)).toBe(true);
		const data = pngBytes(3, 4, 777);
		const r = await req(created.upload_url, {
			method: 'PUT',
			headers: { 'content-type': 'image/png' },
			body: data,
		});
		expect(r.status).toBe(200);
		expect(sim.record.uploads[0]).toMatchObject({
			method: 'PUT',
			ok: true,
			size: 777,
			sha256: sha(data),
			partContentType: 'image/png',
		});
		const done = await api.post(`/assets/${created.asset_id}/complete`);
		expect(done.json).toMatchObject({ status: 'ready', width: 3, height: 4 });
		const again = await req(created.upload_url, {
			method: 'PUT',
			headers: { 'content-type': 'image/png' },
			body: data,
		});
		expect(again.status).toBe(400);
		const tampered = await api.reserve();
		const bad = await req(tampered.upload_url.replace(/signature=[^&]+/, 'signature=00'), {
			method: 'PUT',
			headers: { 'content-type': 'image/png' },
			body: data,
		});
		expect(bad.status).toBe(400);
		expect(kinds()).toEqual(['token-reused', 'fields-altered']);
	});
});

describe('multipart helpers', () => {
	it('multipart() builds what the parser expects', () => {
		const m = multipart([{ name: 'a', value: '1' }]);
		expect(m.body.toString()).toContain('name="a"');
	});
});
