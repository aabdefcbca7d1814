import type { IDataObject } from 'n8n-workflow';

import { locator, pairedIndexes, simulatorForFile } from '../harness/flora';
import { calls, expectNotFound, itemValue, runResource } from '../harness/resources';

const sim = simulatorForFile();

const get = (technique: string | IDataObject, extra = {}) =>
	runResource(sim, 'technique', { operation: 'get', technique }, extra);

describe('Get a technique', () => {
	it('returns the technique with its inputs and outputs, from one GET /techniques/{id}', async () => {
		const result = await get(locator('tech_caption_writer', 'list'));
		expect(result.error).toBeUndefined();
		expect(result.items).toHaveLength(1);
		expect(result.items[0].json).toMatchObject({
			technique_id: 'tech_caption_writer',
			name: 'Caption Writer',
			run_cost: 0.01,
			inputs: [
				{ id: 'brief', name: 'Brief', type: 'text' },
				{ id: 'tone', name: 'Tone', type: 'text', optional: true },
			],
			outputs: [{ id: 'caption', type: 'text' }],
		});
		expect(calls(result.requests)).toEqual(['GET /techniques/tech_caption_writer']);
		expect(result.requests[0].query).toEqual({});
		expect(result.requests[0].hasAuthorization).toBe(true);
		expect(result.requests[0].idempotencyKey).toBeUndefined();
	});

	it('takes a slug as well as an ID, and a plain value as an expression or agent gives it', async () => {
		const result = await get('video-upscale-8k');
		expect(result.items[0].json.technique_id).toBe('tech_video_upscale');
		expect(calls(result.requests)).toEqual(['GET /techniques/video-upscale-8k']);
	});

	it('gets one technique per item, in input order, paired; items sharing a technique each get it', async () => {
		const result = await get(locator(itemValue), {
			items: [
				{ json: { v: 'moodboard-teaser' } },
				{ json: { v: 'tech_caption_writer' } },
				{ json: { v: 'moodboard-teaser' } },
			],
		});
		expect(result.items.map((i) => i.json.technique_id)).toEqual([
			'tech_moodboard_teaser',
			'tech_caption_writer',
			'tech_moodboard_teaser',
		]);
		expect(pairedIndexes(result.items)).toEqual([0, 1, 2]);
		expect(result.requests).toHaveLength(3);
	});

	it("fails with FLORA's 404 as an API error with its code and request ID", async () => {
		const result = await get(locator('tech_missing'));
		expectNotFound(result, 'FLORA: Technique not found.');
	});

	it('pairs the 404 with its item under Continue On Fail and keeps the others', async () => {
		const result = await get(locator(itemValue), {
			items: [{ json: { v: 'caption-writer' } }, { json: { v: 'no-such-technique' } }],
			nodeSettings: { continueOnFail: true },
		});
		expect(result.error).toBeUndefined();
		expect(
			result.items.map((i) => i.json.technique_id ?? (i.json.error as { code?: string }).code),
		).toEqual(['tech_caption_writer', 'not_found']);
		expect(result.items[1].json).toMatchObject({
			message: 'FLORA: Technique not found.',
			error: { http_code: 404, request_id: result.requests[1].requestId },
		});
		expect(pairedIndexes(result.items)).toEqual([0, 1]);
	});

	it('retries a 503 and a 429, then returns the technique', async () => {
		sim.inject({
			target: 'api',
			method: 'GET',
			path: /^\/techniques\//,
			kind: 'status',
			status: 503,
		});
		sim.inject({
			target: 'api',
			method: 'GET',
			path: /^\/techniques\//,
			kind: 'status',
			status: 429,
			code: 'rate_limited',
			retryAfter: '0',
		});
		const result = await get(locator('caption-writer'));
		expect(result.error).toBeUndefined();
		expect(result.items[0].json.technique_id).toBe('tech_caption_writer');
		expect(result.requests.map((r) => r.status)).toEqual([503, 429, 200]);
	});
});
