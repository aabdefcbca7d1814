import { createHash } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

import { Container } from '@n8n/di';
import { BinaryDataConfig, BinaryDataService } from 'n8n-core';
import type { INodeExecutionData } from 'n8n-workflow';

import type { Simulator } from '../../simulator';
import { readBinary } from '../harness';
import { pairedIndexes, requestsTo, runFlora, sha256, simulatorForFile } from '../harness/flora';

const sim = simulatorForFile(
	{ assetUrlStyle: 'cdn' },
	{ configure: { cdnAuthorization: 'ignore' } },
);

const MiB = 1024 * 1024;
const downloadParams = (assetId: string, binaryPropertyName = 'data') => ({
	operation: 'download',
	assetId,
	binaryPropertyName,
});

function seedAsset(extra: Parameters<Simulator['seedAssets']>[1] = {}) {
	return sim.seedAssets(1, { name: 'hero.png', size_bytes: 300_000, ...extra })[0];
}

function apiCalls() {
	return requestsTo(sim, 'api').map((r) => `${r.method} ${r.path}`);
}

/** Partly written files n8n's filesystem store left behind (it writes to `*.tmp.*` first). */
function leftoverTempFiles(): string[] {
	const walk = (dir: string): string[] =>
		existsSync(dir)
			? readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
					e.isDirectory() ? walk(join(dir, e.name)) : e.name.includes('.tmp.') ? [e.name] : [],
				)
			: [];
	return walk(Container.get(BinaryDataConfig).localStoragePath);
}

function itemIndexOf(error: unknown) {
	return (error as { context?: { itemIndex?: number } }).context?.itemIndex;
}

describe.each(['default', 'filesystem'] as const)(
	'Download an asset, %s binary mode',
	(binaryMode) => {
		it("puts the asset's exact bytes, name and type into the binary field, and outputs the asset", async () => {
			const asset = seedAsset();
			const file = await sim.gen.assetFile(asset.asset_id);
			const result = await runFlora(sim, {
				parameters: downloadParams(asset.asset_id),
				binaryMode,
			});
			expect(result.error).toBeUndefined();
			expect(result.items).toHaveLength(1);
			const [out] = result.items;
			expect(out.json).toMatchObject({
				asset_id: asset.asset_id,
				status: 'ready',
				url: asset.url,
				name: 'hero.png',
			});
			expect(pairedIndexes(result.items)).toEqual([0]);
			const binary = out.binary!.data;
			expect(binary).toMatchObject({
				fileName: 'hero.png',
				mimeType: 'image/png',
				fileExtension: 'png',
			});
			if (binaryMode === 'filesystem') expect(binary.id).toMatch(/^filesystem/);
			else expect(binary.id).toBeUndefined();
			const bytes = await readBinary(out);
			expect(bytes.length).toBe(300_000);
			expect(sha256(bytes)).toBe(file!.sha256);

			expect(apiCalls()).toEqual([`GET /assets/${asset.asset_id}`]);
			expect(sim.record.downloads).toHaveLength(1);
			expect(sim.record.downloads[0]).toMatchObject({
				method: 'GET',
				status: 200,
				completed: true,
				hasAuthorization: false,
			});
		});

		it('restarts a transfer the file host reset mid-way; the output holds the whole file', async () => {
			const asset = seedAsset({ name: 'clip.mp4', content_type: 'video/mp4', size_bytes: 2 * MiB });
			const file = await sim.gen.assetFile(asset.asset_id);
			sim.gen.injectCdnFault({ kind: 'reset', afterBytes: 700_000, path: /^\/assets\// });
			const result = await runFlora(sim, {
				parameters: downloadParams(asset.asset_id),
				binaryMode,
			});
			expect(result.error).toBeUndefined();
			expect(sim.record.downloads.map((d) => [d.status, d.bytesSent, d.completed])).toEqual([
				['reset', 700_000, false],
				[200, 2 * MiB, true],
			]);
			const bytes = await readBinary(result.items[0]);
			expect(bytes.length).toBe(2 * MiB);
			expect(sha256(bytes)).toBe(file!.sha256);
			expect(result.items[0].binary!.data).toMatchObject({
				fileName: 'clip.mp4',
				mimeType: 'video/mp4',
			});
		});
	},
);

describe('Download: retries and failures', () => {
	it('retries 503 and 429 answers before the body, then downloads once whole', async () => {
		const asset = seedAsset();
		sim.gen.injectCdnFault({ kind: 'status', status: 503, path: /^\/assets\// });
		sim.gen.injectCdnFault({ kind: 'status', status: 429, path: /^\/assets\// });
		const result = await runFlora(sim, { parameters: downloadParams(asset.asset_id) });
		expect(result.error).toBeUndefined();
		expect(sim.record.downloads.map((d) => d.status)).toEqual([503, 429, 200]);
		expect((await readBinary(result.items[0])).length).toBe(300_000);
		expect(apiCalls()).toHaveLength(1);
	});

	it('gives up after bounded restarts with a message naming the URL and the bytes received', async () => {
		const asset = seedAsset({ size_bytes: MiB });
		sim.gen.injectCdnFault({ kind: 'reset', afterBytes: 100_000, path: /^\/assets\//, times: 50 });
		const result = await runFlora(sim, {
			parameters: downloadParams(asset.asset_id),
			binaryMode: 'filesystem',
		});
		expect(result.error?.constructor.name).toBe('NodeOperationError');
		expect(result.error?.message).toBe(
			`Could not download the file from ${asset.url}: the transfer broke off after 100000 of ${MiB} bytes`,
		);
		expect(String((result.error as { description?: string }).description)).toContain(
			'4 attempts; the last one received 100000 bytes. No partial file was kept. Cause: ECONNRESET.',
		);
		expect(itemIndexOf(result.error)).toBe(0);
		// One try and three restarts, each from the first byte.
		expect(sim.record.downloads).toHaveLength(4);
		expect(sim.record.downloads.every((d) => d.status === 'reset' && !d.range)).toBe(true);
		// No partial file stays in n8n's binary store.
		expect(leftoverTempFiles()).toEqual([]);
	});

	it('stops the transfer when the execution is cancelled, keeping nothing', async () => {
		// Far more than loopback moves before the cancel, however fast the machine.
		const size = 16 * 1024 * MiB;
		const asset = seedAsset({ name: 'huge.mp4', content_type: 'video/mp4', size_bytes: size });
		const result = await runFlora(sim, {
			parameters: downloadParams(asset.asset_id),
			binaryMode: 'filesystem',
			abortAfterMs: 2500,
		});
		expect(result.cancelled).toBe(true);
		expect(result.items).toEqual([]);
		const [download] = sim.record.downloads;
		expect(sim.record.downloads).toHaveLength(1);
		expect(download.completed).toBe(false);
		// The connection is gone: the file host stops sending.
		const sentAfterCancel = download.bytesSent;
		expect(sentAfterCancel).toBeLessThan(size);
		await new Promise((resolve) => setTimeout(resolve, 300));
		expect(sim.record.downloads[0].bytesSent).toBe(sentAfterCancel);
		expect(leftoverTempFiles()).toEqual([]);
	});

	it('keeps the other items under Continue On Fail; the failed one is an error item paired to its input', async () => {
		const [good, bad] = sim.seedAssets(2, { name: 'a.png', size_bytes: 50_000 });
		sim.gen.injectCdnFault({
			kind: 'reset',
			afterBytes: 10_000,
			path: `/assets/${bad.asset_id}/a.png`,
			times: 50,
		});
		const result = await runFlora(sim, {
			parameters: downloadParams('={{ $json.id }}'),
			items: [{ json: { id: bad.asset_id } }, { json: { id: good.asset_id } }],
			nodeSettings: { continueOnFail: true },
		});
		expect(result.error).toBeUndefined();
		expect(pairedIndexes(result.items)).toEqual([0, 1]);
		expect(result.items[0].json.message).toBe(
			`Could not download the file from ${bad.url}: the transfer broke off after 10000 of 50000 bytes`,
		);
		expect(result.items[0].binary).toBeUndefined();
		expect(result.items[1].json.asset_id).toBe(good.asset_id);
		expect((await readBinary(result.items[1])).length).toBe(50_000);
	});

	it('redacts the query string of a signed file URL in the message', async () => {
		const plain = `${sim.cdnOrigin}/assets/asset_signed/hero.png`;
		// The asset's url as a storage host signs it.
		seedAsset({
			asset_id: 'asset_signed',
			size_bytes: 20_000,
			url: `${plain}?X-Amz-Signature=topsecret123&X-Amz-Expires=300`,
		});
		sim.gen.injectCdnFault({ kind: 'status', status: 404, path: /^\/assets\// });
		const result = await runFlora(sim, { parameters: downloadParams('asset_signed') });
		expect(result.error?.message).toBe(
			`Could not download the file from ${plain}?X-Amz-Signature=[redacted]&X-Amz-Expires=[redacted]: the file host answered HTTP 404`,
		);
		expect(JSON.stringify(result.error)).not.toContain('topsecret123');
		expect(sim.record.downloads).toHaveLength(1);
	});

	it('never sends the FLORA key to the file host', async () => {
		sim.configure({ cdnAuthorization: 'refuse' });
		const [a, b] = sim.seedAssets(2, { name: 'x.png', size_bytes: 10_000 });
		const result = await runFlora(sim, {
			parameters: downloadParams('={{ $json.id }}'),
			items: [{ json: { id: a.asset_id } }, { json: { id: b.asset_id } }],
		});
		expect(result.error).toBeUndefined();
		expect(sim.record.downloads).toHaveLength(2);
		expect(sim.record.downloads.every((d) => !d.hasAuthorization && d.status === 200)).toBe(true);
		expect(requestsTo(sim, 'api').every((r) => r.hasAuthorization)).toBe(true);
	});

	it('gives every item that names the same asset its own copy of the file', async () => {
		const asset = seedAsset({ size_bytes: 40_000 });
		const file = await sim.gen.assetFile(asset.asset_id);
		const result = await runFlora(sim, {
			parameters: downloadParams('={{ $json.id }}'),
			items: [0, 1, 2].map(() => ({ json: { id: asset.asset_id } })),
			binaryMode: 'filesystem',
		});
		expect(result.error).toBeUndefined();
		expect(pairedIndexes(result.items)).toEqual([0, 1, 2]);
		const ids = result.items.map((i) => i.binary!.data.id);
		expect(new Set(ids).size).toBe(3);
		for (const item of result.items) expect(sha256(await readBinary(item))).toBe(file!.sha256);
		expect(apiCalls()).toEqual([0, 1, 2].map(() => `GET /assets/${asset.asset_id}`));
		expect(sim.record.downloads.filter((d) => d.completed)).toHaveLength(3);
	});

	it('puts the file in the binary field the user named', async () => {
		const asset = seedAsset({ size_bytes: 5_000 });
		const result = await runFlora(sim, { parameters: downloadParams(asset.asset_id, 'image') });
		expect(Object.keys(result.items[0].binary ?? {})).toEqual(['image']);
		expect((await readBinary(result.items[0], 'image')).length).toBe(5_000);
	});
});

describe('Download: assets that have no file yet', () => {
	it('refuses an asset that is not ready, without downloading', async () => {
		const asset = seedAsset({ status: 'pending_upload' });
		const result = await runFlora(sim, { parameters: downloadParams(asset.asset_id) });
		expect(result.error?.message).toBe(
			`Asset ${asset.asset_id} cannot be downloaded yet: its status is pending_upload`,
		);
		expect(itemIndexOf(result.error)).toBe(0);
		expect(sim.record.downloads).toEqual([]);
	});

	it('names the failure of a failed asset', async () => {
		const asset = seedAsset({ status: 'failed', failure_message: 'Unsupported codec' });
		const result = await runFlora(sim, { parameters: downloadParams(asset.asset_id) });
		expect(result.error?.message).toBe(
			`Asset ${asset.asset_id} cannot be downloaded yet: its status is failed (Unsupported codec)`,
		);
		expect(sim.record.downloads).toEqual([]);
	});

	it('refuses a ready asset without a url', async () => {
		const asset = seedAsset({ url: null as unknown as string });
		const result = await runFlora(sim, { parameters: downloadParams(asset.asset_id) });
		expect(result.error?.message).toBe(`Asset ${asset.asset_id} has no file URL to download from`);
		expect(sim.record.downloads).toEqual([]);
	});

	it('says "not found or not accessible" for an unknown asset', async () => {
		const result = await runFlora(sim, { parameters: downloadParams('asset_missing') });
		expect(result.error?.message).toBe('Asset asset_missing was not found or is not accessible');
		expect(sim.record.downloads).toEqual([]);
	});
});

describe('Download: bad input is refused before any request', () => {
	it.each([
		['an empty Asset ID', downloadParams('={{ "" }}'), 'Asset ID is empty'],
		[
			'a malformed Asset ID',
			downloadParams('={{ "img_123" }}'),
			'Asset ID "img_123" is not a FLORA asset ID',
		],
		[
			'an empty output field',
			downloadParams('asset_abc', '={{ "" }}'),
			'Put Output File in Field is empty',
		],
		[
			'an output field with a space',
			downloadParams('asset_abc', 'my file'),
			'Put Output File in Field "my file" is not a valid binary field name',
		],
	])('%s', async (_name, parameters, message) => {
		const result = await runFlora(sim, {
			parameters,
			items: [{ json: {} }, { json: {} }],
		});
		expect(result.error?.message).toBe(message);
		expect(result.error?.constructor.name).toBe('NodeOperationError');
		expect(itemIndexOf(result.error)).toBe(0);
		expect(String((result.error as { description?: string }).description).length).toBeGreaterThan(
			20,
		);
		expect(sim.record.requests).toEqual([]);
		expect(sim.record.downloads).toEqual([]);
	});

	it('checks every item first: a bad second item stops the run before the first downloads', async () => {
		const asset = seedAsset();
		const result = await runFlora(sim, {
			parameters: downloadParams('={{ $json.id }}'),
			items: [{ json: { id: asset.asset_id } }, { json: { id: 'nope' } }],
		});
		expect(result.error?.message).toBe('Asset ID "nope" is not a FLORA asset ID');
		expect(itemIndexOf(result.error)).toBe(1);
		expect(sim.record.requests).toEqual([]);
		expect(sim.record.downloads).toEqual([]);
	});
});

describe('Download: On Error settings', () => {
	function setUp() {
		const good = seedAsset({ size_bytes: 8_000 });
		const waiting = seedAsset({ status: 'pending_upload' });
		return {
			good,
			waiting,
			items: [
				{ json: { id: good.asset_id } },
				{ json: { id: waiting.asset_id } },
				{ json: { id: 'bad id' } },
			],
		};
	}

	it('continue (regular output): every item on the one output, in order, errors paired', async () => {
		const { good, waiting, items } = setUp();
		const result = await runFlora(sim, {
			parameters: downloadParams('={{ $json.id }}'),
			items,
			nodeSettings: { onError: 'continueRegularOutput' },
		});
		expect(result.error).toBeUndefined();
		expect(result.items.map((i) => i.json.asset_id ?? i.json.message)).toEqual([
			good.asset_id,
			`Asset ${waiting.asset_id} cannot be downloaded yet: its status is pending_upload`,
			'Asset ID "bad id" is not a FLORA asset ID',
		]);
		expect(pairedIndexes(result.items)).toEqual([0, 1, 2]);
		expect(result.items[0].binary?.data).toBeDefined();
		expect(sim.record.downloads).toHaveLength(1);
	});

	it('continue (using error output): failed items on the error output, paired to their inputs', async () => {
		const { good, waiting, items } = setUp();
		const result = await runFlora(sim, {
			parameters: downloadParams('={{ $json.id }}'),
			items,
			nodeSettings: { onError: 'continueErrorOutput' },
		});
		expect(result.error).toBeUndefined();
		const [success, failed] = result.outputs as INodeExecutionData[][];
		expect(success.map((i) => i.json.asset_id)).toEqual([good.asset_id]);
		expect(success[0].binary?.data).toBeDefined();
		expect(pairedIndexes(success)).toEqual([0]);
		expect(failed.map((i) => i.json.message)).toEqual([
			`Asset ${waiting.asset_id} cannot be downloaded yet: its status is pending_upload`,
			'Asset ID "bad id" is not a FLORA asset ID',
		]);
		expect(pairedIndexes(failed)).toEqual([1, 2]);
	});
});

describe('Download: memory, filesystem binary mode', () => {
	it('streams a 256 MiB file to disk without holding it in memory', async () => {
		const size = 256 * MiB;
		const asset = seedAsset({ name: 'master.mp4', content_type: 'video/mp4', size_bytes: size });
		const file = await sim.gen.assetFile(asset.asset_id);
		global.gc?.();
		const baseline = process.memoryUsage().rss;
		let peak = baseline;
		const sampler = setInterval(() => {
			peak = Math.max(peak, process.memoryUsage().rss);
		}, 20);
		let result;
		try {
			result = await runFlora(sim, {
				parameters: downloadParams(asset.asset_id),
				binaryMode: 'filesystem',
			});
		} finally {
			clearInterval(sampler);
		}
		peak = Math.max(peak, process.memoryUsage().rss);
		expect(result.error).toBeUndefined();
		const binary = result.items[0].binary!.data;
		expect(binary.id).toMatch(/^filesystem/);
		expect(binary.bytes).toBe(size);
		expect(sim.record.downloads).toHaveLength(1);
		expect(sim.record.downloads[0]).toMatchObject({ completed: true, bytesSent: size });
		// Far below the file's size: the bytes went to disk as they came.
		expect(peak - baseline).toBeLessThan(96 * MiB);

		const hash = createHash('sha256');
		for await (const chunk of await Container.get(BinaryDataService).getAsStream(binary.id!))
			hash.update(chunk as Buffer);
		expect(hash.digest('hex')).toBe(file!.sha256);
	}, 180_000);
});
