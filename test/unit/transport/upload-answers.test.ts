/**
 * The upload host's side: upload_url read both ways (a presigned PUT URL, or
 * the newer SDK's JSON policy for a multipart POST), the byte-count guard on
 * the PUT path, refusals that a fresh form cannot cure, and streams closed
 * whatever the answer.
 */
import type { IExecuteFunctions } from 'n8n-workflow';

import type { UploadSource } from '../../../nodes/Flora/transport/upload';
import {
	readUploadForm,
	sendToUploadHost,
	UploadFailedError,
} from '../../../nodes/Flora/transport/upload';

describe('upload_url without an upload form', () => {
	it('is a presigned URL for a raw PUT (SDK 0.10)', () => {
		expect(readUploadForm({ upload_url: 'https://bucket.test/put/abc?sig=1' })).toEqual({
			url: 'https://bucket.test/put/abc?sig=1',
			method: 'PUT',
			fileField: 'file',
			fields: [],
			expiresAt: undefined,
		});
	});

	it('is the upload policy serialized as JSON, for a multipart POST (newer SDK)', () => {
		const policy = {
			url: 'https://upload.imagekit.io/api/v1/files/upload',
			fields: { token: 't', signature: 's', expire: '9', fileName: 'a.png' },
		};
		expect(
			readUploadForm({ upload_url: JSON.stringify(policy), expires_at: '2026-11-27T13:00:00Z' }),
		).toEqual({
			url: policy.url,
			method: 'POST',
			fileField: 'file',
			fields: [
				['token', 't'],
				['signature', 's'],
				['expire', '9'],
				['fileName', 'a.png'],
			],
			expiresAt: Date.parse('2026-11-27T13:00:00Z'),
		});
	});

	it('gives no form for a JSON policy without a url', () => {
		expect(readUploadForm({ upload_url: '{"fields":{}}' })).toBeUndefined();
	});
});

/** A context whose httpRequest reads the body as the HTTP client would, then answers. */
function hostContext(answer: { statusCode: number; body?: unknown; headers?: object }) {
	const sent: Array<{ options: Record<string, any>; bytes: number }> = [];
	const context = {
		helpers: {
			httpRequest: async (options: Record<string, any>) => {
				let bytes = 0;
				const body = options.body;
				expect(Object.prototype.toString.call(body)).toBe('[object File]');
				for await (const chunk of body.stream() as AsyncIterable<Uint8Array>) {
					bytes += chunk.byteLength;
				}
				sent.push({ options, bytes });
				return { headers: {}, ...answer };
			},
		},
	} as unknown as IExecuteFunctions;
	return { context, sent };
}

function sourceOf(size: number, actual: number): UploadSource {
	return {
		fileName: 'a.png',
		contentType: 'image/png',
		size,
		open: async () => new Uint8Array(actual),
	};
}

const putForm = {
	url: 'https://bucket.test/put/abc',
	method: 'PUT' as const,
	fileField: 'file',
	fields: [],
};

describe('The PUT path', () => {
	it('sends the bytes as a File-shaped body with type and exact length', async () => {
		const { context, sent } = hostContext({ statusCode: 200, body: {} });
		await sendToUploadHost.call(context, putForm, sourceOf(10, 10));
		expect(sent[0].bytes).toBe(10);
		expect(sent[0].options.headers).toEqual({
			'Content-Type': 'image/png',
			'Content-Length': '10',
		});
		expect(sent[0].options.body.size).toBe(10);
		expect(sent[0].options.body.type).toBe('image/png');
	});

	it('stops when the binary holds more bytes than its recorded size', async () => {
		const { context } = hostContext({ statusCode: 200, body: {} });
		const error = await sendToUploadHost.call(context, putForm, sourceOf(10, 20)).catch((e) => e);
		expect(error).toBeInstanceOf(UploadFailedError);
		expect(error.message).toBe(
			'The binary data is larger than its recorded size of 10 bytes; the upload was stopped.',
		);
		expect(error.retryable).toBe(false);
	});

	it('stops when the binary ends before its recorded size', async () => {
		const { context } = hostContext({ statusCode: 200, body: {} });
		const error = await sendToUploadHost.call(context, putForm, sourceOf(10, 4)).catch((e) => e);
		expect(error.message).toBe(
			'The binary data ended after 4 of its recorded 10 bytes; the upload was stopped.',
		);
	});
});

describe('Upload host refusals', () => {
	it.each([
		[400, 'Your account cannot be authenticated.', false],
		[413, 'The file exceeds the maximum upload size of this account.', false],
		[415, 'Unsupported media type.', false],
		[400, 'The upload request has expired. Request a new signature.', true],
		[400, 'Your request contains an invalid token. Request a new signature.', true],
		[500, 'Internal error', true],
		[503, 'Busy', true],
	])('%d "%s": a fresh form helps: %s', async (status, message, retryable) => {
		const { context } = hostContext({ statusCode: status, body: { message } });
		const error = await sendToUploadHost.call(context, putForm, sourceOf(3, 3)).catch((e) => e);
		expect(error).toBeInstanceOf(UploadFailedError);
		expect(error.message).toBe(`The upload host bucket.test answered ${status}: ${message}`);
		expect(error.retryable).toBe(retryable);
	});
});

describe('Streams from the binary store', () => {
	function trackedSource() {
		const streams: Array<{ destroyed: boolean }> = [];
		const source: UploadSource = {
			fileName: 'a.png',
			contentType: 'image/png',
			size: 3,
			open: async () => {
				const stream = {
					destroyed: false,
					destroy() {
						this.destroyed = true;
					},
					async *[Symbol.asyncIterator]() {
						yield new Uint8Array(3);
					},
				};
				streams.push(stream);
				return stream;
			},
		};
		return { source, streams };
	}

	const answering = (
		...answers: Array<{ statusCode: number; headers?: object; body?: unknown } | Error>
	) =>
		({
			helpers: {
				// Answers without reading the body, as a host that refuses early does.
				httpRequest: async () => {
					const answer = answers.shift();
					if (answer instanceof Error) throw answer;
					return { headers: {}, body: {}, ...answer };
				},
			},
		}) as unknown as IExecuteFunctions;

	it('are closed after an early answer, a redirect hop and a failure', async () => {
		const { source, streams } = trackedSource();
		const context = answering(
			{ statusCode: 307, headers: { location: 'https://bucket.test/other' } },
			{ statusCode: 413, body: { message: 'Too large.' } },
		);
		await expect(sendToUploadHost.call(context, putForm, source)).rejects.toThrow('413');
		expect(streams).toHaveLength(2);
		expect(streams.every((s) => s.destroyed)).toBe(true);

		const failed = trackedSource();
		await expect(
			sendToUploadHost.call(answering(new Error('socket hang up')), putForm, failed.source),
		).rejects.toThrow('socket hang up');
		expect(failed.streams[0].destroyed).toBe(true);
	});

	it('are closed when the execution is cancelled mid-upload', async () => {
		const { source, streams } = trackedSource();
		const cancelled = Object.assign(new Error('canceled'), { code: 'ERR_CANCELED' });
		await expect(
			sendToUploadHost.call(answering(cancelled), putForm, source, AbortSignal.abort()),
		).rejects.toThrow();
		expect(streams[0].destroyed).toBe(true);
	});
});
