import { createHash } from 'node:crypto';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { locator } from '../../shared/flora';
import type { Simulator } from '../../simulator';
import { readBinary } from '../harness';
import {
	bytes,
	createParams,
	imageItem,
	pairedIndexes,
	requestsTo,
	runFlora,
	sha256,
	signedCreateParams,
	simulatorForFile,
} from '../harness/flora';

const sim = simulatorForFile();

describe.each(['default', 'filesystem'] as const)(
	'Create from binary, %s binary mode',
	(binaryMode) => {
		it('streams the exact bytes into the signed upload, completes once and outputs the ready asset', async () => {
			const file = bytes(300_000, 7);
			const result = await runFlora(sim, {
				parameters: signedCreateParams(),
				items: [imageItem(file, 'hero.png', 'image/png')],
				binaryMode,
			});
			expect(result.error).toBeUndefined();

			const [upload] = sim.record.uploads;
			expect(sim.record.uploads).toHaveLength(1);
			expect(upload.ok).toBe(true);
			expect(upload.size).toBe(file.length);
			expect(upload.sha256).toBe(sha256(file));
			expect(upload.fileName).toBe('hero.png');
			expect(upload.partContentType).toBe('image/png');
			expect(upload.chunked).toBe(false);
			expect(upload.contentLength).toBeGreaterThan(file.length);
			const asset = sim.assets()[0];
			expect(sim.record.violations).toEqual([]);

			// The FLORA key never reaches the upload host.
			const uploads = requestsTo(sim, 'upload');
			expect(uploads).toHaveLength(1);
			expect(uploads[0].hasAuthorization).toBe(false);
			expect(uploads[0].headers['content-length']).toBe(String(upload.contentLength));
			expect(uploads[0].headers['transfer-encoding']).toBeUndefined();
			expect(requestsTo(sim, 'api').every((r) => r.hasAuthorization)).toBe(true);

			expect(requestsTo(sim, 'api', /^\/assets\/[^/]+\/complete$/)).toHaveLength(1);
			expect(asset.completes).toBe(1);
			expect(sim.assets({ status: 'ready' })).toHaveLength(1);

			expect(result.items).toHaveLength(1);
			const out = result.items[0];
			expect(out.json).toMatchObject({
				asset_id: asset.asset_id,
				status: 'ready',
				workspace_id: 'ws_demo',
				url: asset.url,
			});
			expect(pairedIndexes(result.items)).toEqual([0]);
			// The input's binary is passed through unchanged; in filesystem mode it has
			// an id, which is what makes the node stream it instead of buffering it.
			expect(out.binary?.data?.fileName).toBe('hero.png');
			if (binaryMode === 'filesystem') expect(out.binary?.data?.id).toMatch(/^filesystem/);
			else expect(out.binary?.data?.id).toBeUndefined();
			expect(sha256(await readBinary(out))).toBe(sha256(file));
		});

		it('sends the form fields verbatim and in the issued order, the file last', async () => {
			await runFlora(sim, {
				parameters: signedCreateParams({ additionalFields: { folder: 'shots' } }),
				items: [imageItem(bytes(1000))],
				binaryMode,
			});
			const [upload] = sim.record.uploads;
			// The order FLORA (ImageKit) issues them in; the simulator also flags any
			// field that differs from the issued value as 'fields-altered'.
			expect(upload.fields.map(([name]) => name)).toEqual([
				'token',
				'signature',
				'expire',
				'publicKey',
				'fileName',
				'folder',
				'useUniqueFileName',
				'customMetadata',
			]);
			expect(Object.fromEntries(upload.fields)).toMatchObject({
				fileName: 'hero.png',
				folder: '/flora/ws_demo/shots',
				useUniqueFileName: 'false',
			});
			expect(upload.fileField).toBe('file');
			expect(sim.record.violations).toEqual([]);
		});
	},
);

describe.each([
	['in one request', true],
	['through the signed upload', false],
] as const)('Create from binary: names and types, %s', (_path, directUpload) => {
	it("defaults content type and file name to the binary's own", async () => {
		await runFlora(sim, {
			parameters: createParams({ options: { directUpload } }),
			items: [imageItem(bytes(500), 'clip.mp4', 'video/mp4')],
		});
		const [asset] = sim.assets();
		expect(asset.name).toBe('clip.mp4');
		expect(asset.content_type).toBe('video/mp4');
		expect(sim.record.uploads[0]).toMatchObject({
			fileName: 'clip.mp4',
			partContentType: 'video/mp4',
		});
	});

	it('lets additional fields override them, and sends folder and project id', async () => {
		const projectId = await firstProjectId(sim);
		await runFlora(sim, {
			parameters: createParams({
				options: { directUpload },
				additionalFields: {
					contentType: 'image/webp',
					fileName: 'renamed.webp',
					folder: 'campaign-assets',
					projectId: locator(projectId),
				},
			}),
			items: [imageItem(bytes(500), 'original.png', 'image/png')],
		});
		const [asset] = sim.assets();
		expect(asset).toMatchObject({
			name: 'renamed.webp',
			content_type: 'image/webp',
			folder: 'campaign-assets',
			project_id: projectId,
		});
		expect(sim.record.uploads[0]).toMatchObject({
			fileName: 'renamed.webp',
			partContentType: 'image/webp',
		});
	});
});

describe('Create from binary: the upload host redirects', () => {
	it('follows a 307 to a third origin without any Authorization header', async () => {
		sim.inject({ target: 'upload', kind: 'redirect', status: 307 });
		const file = bytes(50_000, 3);
		const result = await runFlora(sim, {
			parameters: signedCreateParams(),
			items: [imageItem(file)],
		});
		expect(result.error).toBeUndefined();
		const redirected = requestsTo(sim, 'redirect');
		expect(redirected).toHaveLength(1);
		expect(redirected[0].hasAuthorization).toBe(false);
		expect(requestsTo(sim, 'upload').every((r) => !r.hasAuthorization)).toBe(true);
		const ok = sim.record.uploads.filter((u) => u.ok);
		expect(ok).toHaveLength(1);
		expect(ok[0]).toMatchObject({ origin: 'redirect', sha256: sha256(file), size: file.length });
		expect(sim.record.violations.filter((v) => v.kind === 'authorization-on-upload')).toEqual([]);
		expect(result.items[0].json.status).toBe('ready');
	});
});

describe('Create from binary: a 64 MiB file in filesystem mode', () => {
	let dir: string;
	beforeAll(() => {
		dir = mkdtempSync(join(tmpdir(), 'flora-big-'));
	});
	afterAll(() => rmSync(dir, { recursive: true, force: true }));

	it('uploads every byte correctly', async () => {
		const path = join(dir, 'video.mp4');
		const hash = createHash('sha256');
		const size = 64 * 1024 * 1024;
		await new Promise<void>((resolve, reject) => {
			const out = createWriteStream(path);
			out.on('error', reject);
			out.on('finish', resolve);
			for (let i = 0; i < 64; i++) {
				const chunk = bytes(1024 * 1024, i + 1);
				hash.update(chunk);
				out.write(chunk);
			}
			out.end();
		});
		const result = await runFlora(sim, {
			parameters: createParams(),
			items: [
				{ json: {}, binary: { data: { path, fileName: 'video.mp4', mimeType: 'video/mp4' } } },
			],
			binaryMode: 'filesystem',
		});
		expect(result.error).toBeUndefined();
		const [upload] = sim.record.uploads;
		expect(upload).toMatchObject({ ok: true, size, sha256: hash.digest('hex'), chunked: false });
		expect(sim.record.violations).toEqual([]);
		expect(result.items[0].json.status).toBe('ready');
	}, 60_000);
});

describe('Create from binary: several items', () => {
	it('keeps output order and pairing with Continue On Fail when one item is bad', async () => {
		const result = await runFlora(sim, {
			parameters: createParams(),
			items: [
				imageItem(bytes(100, 1), 'a.png'),
				{ json: { note: 'no binary' } },
				imageItem(bytes(100, 3), 'c.png'),
			],
			nodeSettings: { onError: 'continueRegularOutput' },
		});
		expect(result.error).toBeUndefined();
		expect(result.items).toHaveLength(3);
		expect(pairedIndexes(result.items)).toEqual([0, 1, 2]);
		expect(result.items[0].json).toMatchObject({ status: 'ready', name: 'a.png' });
		expect(result.items[1].json.message).toBe('This item has no binary field "data"');
		expect(result.items[2].json).toMatchObject({ status: 'ready', name: 'c.png' });
		expect(sim.assets({ status: 'ready' })).toHaveLength(2);
	});

	it('fails the whole batch before any request when one item is bad and Continue On Fail is off', async () => {
		const result = await runFlora(sim, {
			parameters: createParams(),
			items: [imageItem(bytes(100, 1), 'a.png'), { json: {} }, imageItem(bytes(100, 3), 'c.png')],
		});
		expect(result.error?.message).toBe('This item has no binary field "data"');
		expect(sim.record.requests).toHaveLength(0);
	});
});

async function firstProjectId(sim: Simulator): Promise<string> {
	const response = await fetch(`${sim.apiBaseUrl}/projects?workspace_id=ws_demo&limit=1`, {
		headers: { authorization: `Bearer ${sim.apiKey}` },
	});
	const body = (await response.json()) as { projects: Array<{ project_id: string }> };
	return body.projects[0].project_id;
}
