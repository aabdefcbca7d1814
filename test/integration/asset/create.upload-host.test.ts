/**
 * The upload host's answers over real sockets: refusals that a fresh form cannot
 * cure stop at once, upload_url as the newer SDK's JSON policy, and file handles
 * of the binary store released after failed uploads.
 */
import { readdirSync, readlinkSync } from 'node:fs';

import {
	bytes,
	signedCreateParams,
	imageItem,
	requestsTo,
	runFlora,
	sha256,
	simulatorForFile,
} from '../harness/flora';

const sim = simulatorForFile(
	{},
	{ configure: { uploadMaxBytes: 2 * 1024 ** 3, signedUploadStyle: 'form' } },
);

const RETRY = /^\/assets\/[^/]+\/retry$/;

describe('An upload host refusal', () => {
	it('413 (over the plan limit) stops at once with the host message: no fresh form, no second stream', async () => {
		sim.configure({ uploadMaxBytes: 10_000 });
		const result = await runFlora(sim, {
			parameters: signedCreateParams(),
			items: [imageItem(bytes(50_000, 1), 'big.png')],
		});
		const assetId = sim.assets()[0].asset_id;
		expect(result.error?.message).toMatch(
			new RegExp(
				`^The upload of asset ${assetId} failed: The upload host 127\\.0\\.0\\.1:\\d+ answered 413: The file exceeds the maximum upload size of this account\\.`,
			),
		);
		expect((result.error as { description?: string }).description).toContain('size limit');
		expect(requestsTo(sim, 'upload')).toHaveLength(1);
		expect(requestsTo(sim, 'api', RETRY)).toEqual([]);
		expect(requestsTo(sim, 'api', /\/complete$/)).toEqual([]);
	});

	it.each([
		[400, 'Your account cannot be authenticated.'],
		[415, 'Unsupported file type.'],
	])('%d stops at once with the host message', async (status, message) => {
		sim.inject({ target: 'upload', kind: 'status', status, message, times: 3 });
		const result = await runFlora(sim, {
			parameters: signedCreateParams(),
			items: [imageItem(bytes(5_000, 2), 'refused.png')],
		});
		expect(result.error?.message).toContain(`answered ${status}: ${message}`);
		expect(requestsTo(sim, 'upload')).toHaveLength(1);
		expect(requestsTo(sim, 'api', RETRY)).toEqual([]);
	});

	it('400 for an expired form still gets a fresh form', async () => {
		sim.inject({
			target: 'upload',
			kind: 'status',
			status: 400,
			message: 'The upload request has expired. Request a new signature.',
		});
		const result = await runFlora(sim, {
			parameters: signedCreateParams(),
			items: [imageItem(bytes(5_000, 3), 'expired.png')],
		});
		expect(result.error).toBeUndefined();
		expect(requestsTo(sim, 'api', RETRY)).toHaveLength(1);
		expect(sim.assets({ status: 'ready' })).toHaveLength(1);
	});
});

describe('upload_url as the upload policy serialized as JSON (newer SDK)', () => {
	it.each(['default', 'filesystem'] as const)(
		'is sent as a multipart POST with the policy fields (%s mode)',
		async (binaryMode) => {
			sim.configure({ signedUploadStyle: 'policy' });
			const file = bytes(120_000, 4);
			const result = await runFlora(sim, {
				parameters: signedCreateParams(),
				items: [imageItem(file, 'policy.png')],
				binaryMode,
			});
			expect(result.error).toBeUndefined();
			const [reservation] = requestsTo(sim, 'api', /^\/assets$/);
			expect(reservation.status).toBe(201);
			const [upload] = sim.record.uploads;
			expect(upload).toMatchObject({
				method: 'POST',
				ok: true,
				fileField: 'file',
				fileName: 'policy.png',
				size: file.length,
				sha256: sha256(file),
			});
			expect(upload.fields.map(([name]) => name)).toContain('signature');
			expect(sim.record.violations).toEqual([]);
			expect(result.items[0].json.status).toBe('ready');
		},
	);
});

/** Open file handles of this process into the harness's binary store. */
function binaryStoreHandles(): number {
	let count = 0;
	for (const fd of readdirSync('/proc/self/fd')) {
		try {
			if (readlinkSync(`/proc/self/fd/${fd}`).includes('n8n-flora-harness-')) count++;
		} catch {
			// Closed while listing.
		}
	}
	return count;
}

describe('File handles in filesystem mode', () => {
	it('are all released after 20 failed uploads (early answers and redirect hops included)', async () => {
		const before = binaryStoreHandles();
		sim.configure({ uploadMaxBytes: 100_000 });
		sim.inject({ target: 'upload', kind: 'redirect', status: 307, times: 5 });
		const items = Array.from({ length: 20 }, (_, i) =>
			imageItem(bytes(3 * 1024 * 1024, i + 1), `f${i}.png`),
		);
		const result = await runFlora(sim, {
			parameters: signedCreateParams({ options: { concurrency: 4 } }),
			items,
			binaryMode: 'filesystem',
			nodeSettings: { onError: 'continueRegularOutput' },
		});
		expect(result.items).toHaveLength(20);
		expect(result.items.every((i) => /answered 413/.test(String(i.json.message)))).toBe(true);
		// Let the event loop run any close callbacks.
		await new Promise((resolve) => setTimeout(resolve, 200));
		expect(binaryStoreHandles()).toBeLessThanOrEqual(before);
	}, 60_000);
});
