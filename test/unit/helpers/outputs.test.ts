import { Readable } from 'node:stream';

import type { IExecuteFunctions } from 'n8n-workflow';

import {
	mediaOutputsOf,
	outputPropertyName,
	runOutputsToBinary,
} from '../../../nodes/Flora/helpers/outputs';

const run = {
	run_id: 'run_1',
	status: 'completed',
	outputs: [
		{ output_id: 'out_img', type: 'imageUrl', url: 'https://cdn.test/o/8f2e' },
		{ output_id: 'out_txt', type: 'text', url: 'A caption, not a link' },
		{ output_id: 'out_vid', type: 'videoUrl', url: 'https://cdn.test/o/clip.mp4' },
		{ output_id: 'out_aud', type: 'audioUrl', url: 'https://cdn.test/o/a1' },
		{ output_id: 'out_doc', type: 'documentUrl', url: 'https://cdn.test/o/d1' },
	],
};

describe('run outputs', () => {
	it('names binary properties data, data_1, data_2, …', () => {
		expect([0, 1, 2, 10].map(outputPropertyName)).toEqual(['data', 'data_1', 'data_2', 'data_10']);
	});

	it('keeps media outputs in order and skips text and URL-less ones', () => {
		expect(
			mediaOutputsOf({
				outputs: [...run.outputs, { output_id: 'x', type: 'imageUrl' }, null, 'junk'],
			}).map((o) => o.outputId),
		).toEqual(['out_img', 'out_vid', 'out_aud', 'out_doc']);
		expect(mediaOutputsOf({})).toEqual([]);
		expect(mediaOutputsOf({ outputs: 'nope' })).toEqual([]);
	});

	it('downloads each media output into its own property, named <output_id>.<ext> when the host gives no name', async () => {
		const types: Record<string, string> = {
			'/o/8f2e': 'image/png',
			'/o/clip.mp4': 'video/mp4',
			'/o/a1': 'audio/mpeg',
			'/o/d1': 'application/pdf',
		};
		const requested: string[] = [];
		const context = {
			getNode: () => ({ name: 'Flora' }),
			getExecutionCancelSignal: () => undefined,
			helpers: {
				httpRequest: async ({ url }: { url: string }) => {
					requested.push(url);
					const body = Buffer.from(`bytes of ${url}`);
					return {
						statusCode: 200,
						headers: {
							'content-type': types[new URL(url).pathname],
							'content-length': String(body.length),
						},
						body: Readable.from([body]),
					};
				},
				prepareBinaryData: async (body: Readable, fileName: string, mimeType: string) => {
					let bytes = 0;
					for await (const c of body) bytes += c.length;
					return { data: '', fileName, mimeType, bytes };
				},
			},
		} as unknown as IExecuteFunctions;
		const binary = await runOutputsToBinary.call(context, 0, run);
		expect(requested).toEqual([
			'https://cdn.test/o/8f2e',
			'https://cdn.test/o/clip.mp4',
			'https://cdn.test/o/a1',
			'https://cdn.test/o/d1',
		]);
		expect(Object.keys(binary)).toEqual(['data', 'data_1', 'data_2', 'data_3']);
		expect(Object.values(binary).map((b) => [b.fileName, b.mimeType])).toEqual([
			['out_img.png', 'image/png'],
			['clip.mp4', 'video/mp4'],
			['out_aud.mp3', 'audio/mpeg'],
			['out_doc.pdf', 'application/pdf'],
		]);
	});
});
