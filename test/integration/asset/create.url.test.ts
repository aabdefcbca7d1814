import {
	createParams,
	pairedIndexes,
	requestsTo,
	runFlora,
	simulatorForFile,
} from '../harness/flora';

const sim = simulatorForFile({ urlReadyAfterPolls: 2 }, { configure: { urlReadyAfterPolls: 2 } });

const urlParams = (url: string, options = {}) => createParams({ source: 'url', url, options });

describe('Create from a URL', () => {
	it('creates the asset from the URL and polls until FLORA reports it ready', async () => {
		const result = await runFlora(sim, {
			parameters: urlParams('https://cdn.example.com/hero.png'),
		});
		expect(result.error).toBeUndefined();
		const creates = requestsTo(sim, 'api', /^\/assets$/).filter((r) => r.method === 'POST');
		expect(creates).toHaveLength(1);
		const [asset] = sim.assets();
		expect(asset).toMatchObject({
			source: 'https://cdn.example.com/hero.png',
			uploaded_via: 'url',
		});
		// Two polls answered pending, the third ready.
		expect(
			requestsTo(sim, 'api', /^\/assets\/asset_/).filter((r) => r.method === 'GET'),
		).toHaveLength(3);
		expect(result.items[0].json).toMatchObject({ asset_id: asset.asset_id, status: 'ready' });
		expect(pairedIndexes(result.items)).toEqual([0]);
		expect(requestsTo(sim, 'upload')).toHaveLength(0);
	});

	it("fails the item with FLORA's failure message when the asset ends failed", async () => {
		const result = await runFlora(sim, {
			parameters: urlParams('https://cdn.example.com/will-fail.png'),
		});
		const [asset] = sim.assets();
		expect(asset.status).toBe('failed');
		expect(result.error?.message).toBe(
			`FLORA could not process asset ${asset.asset_id}: ${asset.failure_message}`,
		);
	});

	it('stops waiting after the timeout with the asset id and its last status', async () => {
		sim.configure({ urlReadyAfterPolls: 1000 });
		const result = await runFlora(sim, {
			parameters: urlParams('https://cdn.example.com/slow.mp4', { waitTimeout: 1 }),
		});
		const [asset] = sim.assets();
		expect(result.error?.message).toBe(
			`Asset ${asset.asset_id} was not ready after 1 seconds (last status: pending_upload)`,
		);
		// Polls at 0, 250 and 750 ms and one at the deadline at most (a loaded machine makes fewer),
		// and the poll of this asset is the last request: nothing follows the give-up.
		const polls = requestsTo(sim, 'api', new RegExp(`^/assets/${asset.asset_id}$`));
		expect(polls.length).toBeGreaterThanOrEqual(1);
		expect(polls.length).toBeLessThanOrEqual(4);
		expect(sim.record.requests.at(-1)).toBe(polls.at(-1));
	});

	it('returns at once without Wait for Ready', async () => {
		const result = await runFlora(sim, {
			parameters: urlParams('https://cdn.example.com/a.png', { waitForReady: false }),
		});
		expect(result.items[0].json.status).toBe('pending_upload');
		expect(requestsTo(sim, 'api').filter((r) => r.method === 'GET')).toHaveLength(0);
	});
});

describe('Reserve upload URL only', () => {
	it('outputs the reservation with its one-time upload form and uploads nothing', async () => {
		const result = await runFlora(sim, {
			parameters: createParams({
				source: 'signedUrl',
				additionalFields: { fileName: 'later.mp4', contentType: 'video/mp4' },
			}),
		});
		expect(result.error).toBeUndefined();
		const json = result.items[0].json as Record<string, any>;
		expect(json).toMatchObject({
			asset_id: sim.assets()[0].asset_id,
			status: 'pending_upload',
			upload_url: sim.uploadUrl,
			upload: { url: sim.uploadUrl, method: 'POST', file_field: 'file' },
		});
		expect(Date.parse(json.expires_at)).toBeGreaterThan(Date.now());
		expect(json.upload.form_fields.fileName).toBe('later.mp4');
		expect(requestsTo(sim, 'upload')).toHaveLength(0);
		expect(requestsTo(sim, 'api', /complete$/)).toHaveLength(0);
		expect(sim.assets()[0]).toMatchObject({ name: 'later.mp4', content_type: 'video/mp4' });
	});
});
