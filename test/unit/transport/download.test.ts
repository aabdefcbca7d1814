import { Readable } from 'node:stream';

import type { IExecuteFunctions } from 'n8n-workflow';

import { redactUrl } from '../../../nodes/Flora/helpers/redact';
import {
	downloadToBinary,
	fileNameFromDisposition,
	resolveFileName,
	resolveMimeType,
} from '../../../nodes/Flora/transport/download';
import { RETRY_POLICY } from '../../../nodes/Flora/transport';

const policy = { ...RETRY_POLICY };
beforeAll(() => Object.assign(RETRY_POLICY, { backoffBaseMs: 2, backoffCapMs: 10 }));
afterAll(() => Object.assign(RETRY_POLICY, policy));

describe('file name and MIME type of a download', () => {
	const mime = (contentType?: string) => (name: string | undefined) =>
		resolveMimeType(contentType, name, {});

	it('reads filename* (UTF-8) before filename, and strips folders', () => {
		expect(
			fileNameFromDisposition(
				`attachment; filename="plain.png"; filename*=UTF-8''%C3%A9t%C3%A9.png`,
			),
		).toBe('été.png');
		expect(fileNameFromDisposition('attachment; filename="a \\"quoted\\" name.mp4"')).toBe(
			'a quoted name.mp4',
		);
		expect(fileNameFromDisposition('inline; filename=clip.webm')).toBe('clip.webm');
		expect(fileNameFromDisposition('attachment; filename="../../etc/passwd"')).toBe('passwd');
		expect(fileNameFromDisposition('attachment')).toBeUndefined();
		expect(fileNameFromDisposition(undefined)).toBeUndefined();
	});

	it('takes Content-Disposition, else the URL segment with an extension, else the hint', () => {
		const url = 'https://cdn.test/files/abc/hero%20shot.png?sig=1';
		expect(resolveFileName('attachment; filename="from-host.jpg"', url, {}, mime())).toBe(
			'from-host.jpg',
		);
		expect(resolveFileName(undefined, url, { fileName: 'hint.png' }, mime())).toBe('hero shot.png');
		expect(
			resolveFileName(
				undefined,
				'https://cdn.test/f/8d7a9c',
				{ fileName: 'out_1' },
				mime('image/webp'),
			),
		).toBe('out_1.webp');
		expect(resolveFileName(undefined, 'https://cdn.test/f/8d7a9c', {}, mime('video/mp4'))).toBe(
			'8d7a9c.mp4',
		);
		expect(resolveFileName(undefined, 'https://cdn.test/', {}, mime('application/pdf'))).toBe(
			'file.pdf',
		);
	});

	it("uses the host's Content-Type unless it is octet-stream and the hint or extension knows better", () => {
		expect(resolveMimeType('image/png; charset=binary', 'x.jpg', {})).toBe('image/png');
		expect(resolveMimeType('application/octet-stream', 'x.jpg', {})).toBe('image/jpeg');
		expect(resolveMimeType('application/octet-stream', 'x.jpg', { mimeType: 'image/webp' })).toBe(
			'image/webp',
		);
		expect(resolveMimeType('application/octet-stream', 'x.bin', {})).toBe(
			'application/octet-stream',
		);
		expect(resolveMimeType(undefined, 'clip.mov', {})).toBe('video/quicktime');
		expect(resolveMimeType(undefined, undefined, {})).toBe('application/octet-stream');
	});
});

describe('redactUrl', () => {
	it('replaces every query value of a signed link, and user info, keeping host, path and names', () => {
		expect(
			redactUrl(
				'https://user:pw@store.test/b/file.mp4?X-Amz-Signature=abc123&X-Amz-Expires=300&X-Amz-Signature=again#frag',
			),
		).toBe(
			'https://[redacted]@store.test/b/file.mp4?X-Amz-Signature=[redacted]&X-Amz-Expires=[redacted]',
		);
		expect(redactUrl('https://cdn.test/a.png')).toBe('https://cdn.test/a.png');
		expect(redactUrl('not a url?token=secret')).toBe('not a url');
	});
});

type Answer =
	| {
			statusCode: number;
			headers?: Record<string, string>;
			chunks?: Buffer[];
			breakAfter?: boolean;
	  }
	| Error;

/** A context whose HTTP helper answers from a script with real Readable bodies. */
function stubContext(answers: Answer[]) {
	const calls: Array<Record<string, any>> = [];
	const stored: Buffer[] = [];
	const context = {
		getNode: () => ({
			name: 'Flora',
			type: 'n8n-nodes-flora.flora',
			typeVersion: 1,
			id: 'n1',
			parameters: {},
			position: [0, 0],
		}),
		getExecutionCancelSignal: () => undefined,
		helpers: {
			httpRequest: async (options: Record<string, any>) => {
				calls.push(options);
				const answer = answers.shift();
				if (!answer) throw new Error('no scripted answer left');
				if (answer instanceof Error) throw answer;
				const chunks = answer.chunks ?? [];
				const body = Readable.from(
					(async function* () {
						for (const c of chunks) yield c;
						if (answer.breakAfter)
							throw Object.assign(new Error('aborted'), { code: 'ECONNRESET' });
					})(),
				);
				return { statusCode: answer.statusCode, headers: answer.headers ?? {}, body };
			},
			prepareBinaryData: async (body: Readable, fileName: string, mimeType: string) => {
				const parts: Buffer[] = [];
				for await (const c of body) parts.push(Buffer.from(c));
				const data = Buffer.concat(parts);
				stored.push(data);
				return { data: data.toString('base64'), fileName, mimeType, bytes: data.length };
			},
		},
	} as unknown as IExecuteFunctions;
	return { context, calls, stored };
}

const ok = (data: Buffer, headers: Record<string, string> = {}) => ({
	statusCode: 200,
	headers: { 'content-length': String(data.length), 'content-type': 'image/png', ...headers },
	chunks: [data],
});

describe('downloadToBinary', () => {
	const file = Buffer.from('0123456789abcdef'.repeat(64));
	const url = 'https://cdn.test/out/pic.png?token=s3cr3t';

	it('asks without any Authorization, as a stream, following no redirect by itself', async () => {
		const { context, calls } = stubContext([ok(file)]);
		const binary = await downloadToBinary.call(context, 0, url, {});
		expect(binary).toMatchObject({
			fileName: 'pic.png',
			mimeType: 'image/png',
			bytes: file.length,
		});
		expect(calls).toHaveLength(1);
		expect(calls[0]).toMatchObject({
			method: 'GET',
			url,
			encoding: 'stream',
			returnFullResponse: true,
			disableFollowRedirect: true,
			sendCredentialsOnCrossOriginRedirect: false,
		});
		expect(Object.keys(calls[0].headers).map((h) => h.toLowerCase())).not.toContain(
			'authorization',
		);
	});

	it('follows a redirect by hand and names the file after the final address', async () => {
		const { context, calls } = stubContext([
			{ statusCode: 302, headers: { location: 'https://store.test/x/final.webp?sig=1' } },
			ok(file, { 'content-type': 'application/octet-stream' }),
		]);
		const binary = await downloadToBinary.call(context, 0, url, {});
		expect(calls.map((c) => c.url)).toEqual([url, 'https://store.test/x/final.webp?sig=1']);
		expect(binary).toMatchObject({ fileName: 'final.webp', mimeType: 'image/webp' });
	});

	it('refuses a redirect from https to http', async () => {
		const { context, calls } = stubContext([
			{ statusCode: 301, headers: { location: 'http://plain.test/f.png' } },
		]);
		await expect(downloadToBinary.call(context, 2, url, {})).rejects.toThrow(
			'redirected to an insecure address (http://plain.test)',
		);
		expect(calls).toHaveLength(1);
	});

	it('retries 503 and network errors before the body, then succeeds', async () => {
		const { context, calls } = stubContext([
			{ statusCode: 503 },
			Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }),
			ok(file),
		]);
		const binary = await downloadToBinary.call(context, 0, url, {});
		expect(binary.bytes).toBe(file.length);
		expect(calls).toHaveLength(3);
	});

	it('does not retry a 404, and names the URL without its signature', async () => {
		const { context, calls } = stubContext([{ statusCode: 404 }]);
		const error = await downloadToBinary.call(context, 3, url, {}).catch((e) => e);
		expect(error.message).toBe(
			'Could not download the file from https://cdn.test/out/pic.png?token=[redacted]: the file host answered HTTP 404',
		);
		expect(error.message).not.toContain('s3cr3t');
		expect(error.context.itemIndex).toBe(3);
		expect(calls).toHaveLength(1);
	});

	it('restarts a transfer that broke off and keeps only the whole file', async () => {
		const half = file.subarray(0, 300);
		const { context, calls, stored } = stubContext([
			{ ...ok(file), chunks: [half], breakAfter: true },
			ok(file),
		]);
		const binary = await downloadToBinary.call(context, 0, url, {});
		expect(calls).toHaveLength(2);
		expect(binary.bytes).toBe(file.length);
		expect(Buffer.from(binary.data, 'base64').equals(file)).toBe(true);
		// The first, partial attempt never became the result.
		expect(stored.map((s) => s.length)).toEqual([file.length]);
	});

	it('treats a body that ends short of Content-Length as a failure, and gives up after bounded restarts', async () => {
		const short = () => ({ ...ok(file), chunks: [file.subarray(0, 100)] });
		const { context, calls } = stubContext([short(), short(), short(), short(), short()]);
		const error = await downloadToBinary.call(context, 1, url, {}).catch((e) => e);
		expect(calls).toHaveLength(4);
		expect(error.message).toBe(
			`Could not download the file from https://cdn.test/out/pic.png?token=[redacted]: the transfer ended after 100 of ${file.length} bytes`,
		);
		expect(error.description).toContain('4 attempts; the last one received 100 bytes');
	});
});
