import { createHash } from 'node:crypto';
import { inflateSync } from 'node:zlib';
import { download, pollRun, until } from './gen-testkit';
import { startSimulator } from './index';
import { Client, req } from './testkit';
import type { RecordedRunOutput, Simulator } from './types';

let sim: Simulator;
let api: Client;
let project: string;
const LARGE = 3 * 1024 * 1024 + 123;

beforeAll(async () => {
	sim = await startSimulator({ quiet: true, runDurationMs: 150, largeOutputBytes: LARGE });
	api = new Client(sim);
	project = (await api.get('/projects?workspace_id=ws_demo&limit=1')).json.projects[0].project_id;
});
afterAll(() => sim.close());
beforeEach(() => {
	sim.reset();
	sim.configure({ cdnAuthorization: 'ignore' });
});

async function outputsOf(type: string, model?: string): Promise<RecordedRunOutput[]> {
	const r = await api.post('/generate', {
		type,
		prompt: 'x',
		workspace_id: 'ws_demo',
		project_id: project,
		...(model ? { model } : {}),
	});
	await pollRun(api, `/runs/${r.json.run_id}`);
	return sim.gen.run(r.json.run_id)!.outputs;
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('CDN origin', () => {
	it('serves a real PNG whose bytes match the record', async () => {
		const [out] = await outputsOf('image');
		const file = out.file!;
		expect(file.url).toBe(out.url);
		const d = await download(out.url);
		expect(d.status).toBe(200);
		expect(d.sha256).toBe(file.sha256);
		expect(d.size).toBe(file.size);
		expect(d.headers['content-type']).toBe('image/png');
		expect(d.headers['content-length']).toBe(String(file.size));
		expect(d.headers['content-disposition']).toBe(`attachment; filename="${file.file_name}"`);
		expect(d.head.subarray(0, 8)).toEqual(
			Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
		);
		expect((await req(out.url)).status).toBe(200);
		expect(sim.record.downloads.map((x) => [x.kind, x.status, x.completed])).toEqual([
			['png', 200, true],
			['png', 200, true],
		]);
		expect(sim.record.downloads[0]).toMatchObject({
			method: 'GET',
			bytesSent: file.size,
			size: file.size,
			hasAuthorization: false,
		});
	});

	it('builds files that decode: PNG, WAV and MP4 headers', async () => {
		const { pngFile, wavFile, mp4File } = await import('./cdn');
		const png = pngFile(0);
		expect(png.readUInt32BE(16)).toBe(256);
		const idatLen = png.readUInt32BE(33);
		expect(png.subarray(37, 41).toString('latin1')).toBe('IDAT');
		expect(inflateSync(png.subarray(41, 41 + idatLen)).length).toBe((256 * 3 + 1) * 256);
		const wav = wavFile();
		expect(wav.subarray(0, 4).toString('latin1')).toBe('RIFF');
		expect(wav.readUInt32LE(4)).toBe(wav.length - 8);
		const mp4 = mp4File();
		expect(mp4.subarray(4, 8).toString('latin1')).toBe('ftyp');
		expect(sha(pngFile(1))).not.toBe(sha(png));
		expect(sha(pngFile(1))).toBe(sha(pngFile(1)));
	});

	it('serves MP4 and WAV outputs with known sha256 and size', async () => {
		const [video] = await outputsOf('video');
		const [audio] = await outputsOf('audio');
		for (const o of [video, audio]) {
			const d = await download(o.url);
			expect(d.sha256).toBe(o.file!.sha256);
			expect(d.size).toBe(o.file!.size);
			expect(d.headers['content-type']).toBe(o.file!.content_type);
		}
		expect(video.file!.content_type).toBe('video/mp4');
		expect(audio.file!.content_type).toBe('audio/wav');
		expect(audio.file!.size).toBe(44 + 32_000);
	});

	it('streams the large output; its sha256 is in the record once hashed', async () => {
		const r = await api.post('/techniques/video-upscale-8k/runs', {
			inputs: [{ id: 'clip', type: 'videoUrl', value: 'https://videos.example.com/c.mp4' }],
		});
		await pollRun(api, `/runs/${r.json.run_id}`);
		const [out] = sim.gen.run(r.json.run_id)!.outputs;
		const expected = await sim.gen.file(out.url);
		expect(expected).toMatchObject({ kind: 'large', size: LARGE, content_type: 'video/mp4' });
		expect(expected.sha256).toMatch(/^[0-9a-f]{64}$/);
		const d = await download(out.url);
		expect(d.size).toBe(LARGE);
		expect(d.sha256).toBe(expected.sha256);
		expect(d.headers['content-length']).toBe(String(LARGE));
		await until(() => sim.gen.run(r.json.run_id)!.outputs[0].file!.sha256 !== undefined);
		expect(sim.gen.run(r.json.run_id)!.outputs[0].file!.sha256).toBe(expected.sha256);
	});

	it('answers HEAD with the headers and no body', async () => {
		const [out] = await outputsOf('image');
		const h = await download(out.url, { method: 'HEAD' });
		expect(h.status).toBe(200);
		expect(h.size).toBe(0);
		expect(h.headers['content-length']).toBe(String(out.file!.size));
		expect(h.headers['content-type']).toBe('image/png');
		expect(sim.record.downloads[0]).toMatchObject({ method: 'HEAD', bytesSent: 0 });
	});

	it('records an Authorization header and ignores it, or refuses it when configured', async () => {
		const [out] = await outputsOf('image');
		const withAuth = await download(out.url, { headers: { authorization: 'Bearer sk_live_x' } });
		expect(withAuth.status).toBe(200);
		expect(withAuth.sha256).toBe(out.file!.sha256);
		expect(sim.record.downloads[0].hasAuthorization).toBe(true);
		expect(JSON.stringify(sim.record.downloads)).not.toContain('sk_live_x');
		sim.configure({ cdnAuthorization: 'refuse' });
		const refused = await download(out.url, { headers: { authorization: 'Bearer sk_live_x' } });
		expect(refused.status).toBe(400);
		expect((await download(out.url)).status).toBe(200);
	});

	it('resets a download after N bytes', async () => {
		const [out] = await outputsOf('video');
		sim.gen.injectCdnFault({ kind: 'reset', afterBytes: 10_000, path: /^\/outputs\// });
		const broken = await download(out.url).catch((e: Error) => ({ error: e.message, size: -1 }));
		expect(broken.error).toBeDefined();
		expect(broken.size).not.toBe(out.file!.size);
		const rec = sim.record.downloads[0];
		expect(rec).toMatchObject({
			status: 'reset',
			bytesSent: 10_000,
			completed: false,
			fault: 'reset',
		});
		const retry = await download(out.url);
		expect(retry.sha256).toBe(out.file!.sha256);
		expect(sim.record.downloads[1]).toMatchObject({ status: 200, completed: true });
	});

	it('resets the large output mid-stream and injects statuses', async () => {
		const r = await api.post('/techniques/tech_video_upscale/runs', {
			inputs: [{ id: 'clip', type: 'videoUrl', value: 'https://videos.example.com/c.mp4' }],
		});
		await pollRun(api, `/runs/${r.json.run_id}`);
		const [out] = sim.gen.run(r.json.run_id)!.outputs;
		sim.gen.injectCdnFault({ kind: 'reset', afterBytes: 1024 * 1024 + 5 });
		sim.gen.injectCdnFault({ kind: 'status', status: 503 });
		const broken = await download(out.url).catch((e: Error) => ({ error: e.message }));
		expect(broken.error).toBeDefined();
		expect(sim.record.downloads[0].bytesSent).toBe(1024 * 1024 + 5);
		expect((await download(out.url)).status).toBe(503);
		expect((await download(out.url)).size).toBe(LARGE);
		expect(() => sim.gen.injectCdnFault({ kind: 'nope' } as never)).toThrow(/unknown/);
	});

	it('answers 404 for unknown files and pending assets, 405 for other methods', async () => {
		expect((await download(`${sim.cdnOrigin}/outputs/run_x/out_y.png`)).status).toBe(404);
		const created = await api.reserve();
		expect((await download(created.url)).status).toBe(404);
		expect((await req(`${sim.cdnOrigin}/outputs/x`, { method: 'POST', body: 'x' })).status).toBe(
			405,
		);
	});

	it('serves seeded assets with bytes matching assetFile', async () => {
		const [asset] = sim.seedAssets(1, {
			size_bytes: 200_000,
			name: 'board.pdf',
			content_type: 'application/pdf',
		});
		const expected = (await sim.gen.assetFile(asset.asset_id))!;
		expect(expected).toMatchObject({
			size: 200_000,
			content_type: 'application/pdf',
			file_name: 'board.pdf',
		});
		const d = await download(asset.url);
		expect(d.sha256).toBe(expected.sha256);
		expect(d.headers['content-disposition']).toBe('attachment; filename="board.pdf"');
		expect(sim.record.downloads[0].kind).toBe('asset');
	});

	it('reset clears runs, callbacks and downloads', async () => {
		await outputsOf('image');
		await download(sim.gen.runs()[0].outputs[0].url);
		expect(sim.record.runs.length + sim.record.downloads.length).toBe(2);
		sim.reset();
		expect(sim.record.runs).toHaveLength(0);
		expect(sim.record.downloads).toHaveLength(0);
		expect(sim.record.callbacks).toHaveLength(0);
		expect(sim.gen.runs()).toEqual([]);
	});
});

describe('control API of the generative side', () => {
	const ctl = (method: string, path: string, body?: unknown) =>
		req(`${sim.apiOrigin}/__sim${path}`, {
			method,
			headers: body !== undefined ? { 'content-type': 'application/json' } : {},
			body: body !== undefined ? JSON.stringify(body) : undefined,
		});

	it('shows info, queues faults, lists runs, finishes runs, describes files', async () => {
		const info = (await ctl('GET', '/info')).json;
		expect(info).toMatchObject({
			api_base_url: sim.apiBaseUrl,
			cdn_origin: sim.cdnOrigin,
			api_key: sim.apiKey,
			webhook_secrets: { ws_demo: 'whsec_sim_demo', ws_studio: 'whsec_sim_studio' },
		});
		expect(
			(
				await ctl('POST', '/run-faults', [
					{ kind: 'hang' },
					{ kind: 'fail', code: 'GPU_PROVIDER_ERROR' },
				])
			).json,
		).toEqual({ queued: 2 });
		expect((await ctl('POST', '/callback-faults', { kind: 'unsigned' })).json).toEqual({
			queued: 1,
		});
		expect(
			(
				await ctl('POST', '/cdn-faults', {
					kind: 'reset',
					afterBytes: 5,
					path: { regex: '^/outputs/' },
				})
			).json,
		).toEqual({ queued: 1 });
		const faults = (await ctl('GET', '/gen-faults')).json;
		expect(faults.run.map((f: { kind: string }) => f.kind)).toEqual(['hang', 'fail']);
		expect(faults.cdn[0].path).toEqual({ regex: new RegExp('^/outputs/').source, flags: '' });
		expect((await ctl('POST', '/run-faults', { kind: 'bogus' })).status).toBe(400);

		const r = await api.post('/generate', {
			type: 'image',
			prompt: 'x',
			workspace_id: 'ws_demo',
			project_id: project,
		});
		const listed = (await ctl('GET', '/runs?run_type=generation')).json.runs;
		expect(listed.map((x: { run_id: string }) => x.run_id)).toEqual([r.json.run_id]);
		expect((await ctl('GET', `/runs/${r.json.run_id}`)).json.fault).toBe('hang');
		const finished = await ctl('POST', `/runs/${r.json.run_id}/finish`, {});
		expect(finished.json.status).toBe('completed');
		const file = await ctl('GET', `/files?url=${encodeURIComponent(finished.json.outputs[0].url)}`);
		expect(file.json).toMatchObject({ kind: 'png', sha256: finished.json.outputs[0].file.sha256 });
		const rot = (
			await ctl('POST', '/webhook-secrets/rotate', { workspace_id: 'ws_demo', secret: 'whsec_n' })
		).json;
		expect(rot).toEqual({ previous: 'whsec_sim_demo', current: 'whsec_n' });
		expect((await ctl('DELETE', '/faults')).status).toBe(200);
		expect((await ctl('GET', '/gen-faults')).json).toEqual({ run: [], callback: [], cdn: [] });
		expect((await ctl('GET', '/record')).json.runs).toHaveLength(1);
		await ctl('POST', '/configure', { runDurationMs: 100 });
		expect((await ctl('GET', '/config')).json.runDurationMs).toBe(100);
	});
});
