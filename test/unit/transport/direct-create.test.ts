/**
 * The direct create's pieces without n8n's engine: which FLORA answers count as
 * a refusal of the direct form (and fall back to the signed upload), and the
 * request loop's fresh multipart body for every attempt.
 */
import type { IExecuteFunctions } from 'n8n-workflow';

import {
	DIRECT_MAX_BYTES,
	directRefusal,
} from '../../../nodes/Flora/actions/asset/create.operation';
import type { FloraErrorDetails } from '../../../nodes/Flora/transport';
import { floraApiTryRequest, RETRY_POLICY } from '../../../nodes/Flora/transport';
import { openMultipart, UploadFailedError } from '../../../nodes/Flora/transport/upload';

const answer = (
	status: number,
	code: string,
	message: string,
	fields: Array<{ field: string; message: string }> = [],
): FloraErrorDetails => ({ status, code, message, fields, requestId: null });

describe('directRefusal', () => {
	it('uses the limit of FLORA’s SDK: 4 × 1024 × 1024 bytes', () => {
		expect(DIRECT_MAX_BYTES).toBe(4_194_304);
	});

	it.each([
		['404 from a route that is not there', answer(404, 'not_found', 'Not found.')],
		['405', answer(405, 'method_not_allowed', 'Method not allowed.')],
		['415', answer(415, 'unsupported_media_type', 'Unsupported Content-Type.')],
		['501', answer(501, 'http_501', 'FLORA answered HTTP 501.')],
		['400 invalid_json', answer(400, 'invalid_json', 'Invalid JSON body.')],
		[
			'400 naming `source`',
			answer(400, 'input_validation_error', 'source: Required', [
				{ field: 'source', message: 'Required' },
			]),
		],
		[
			'400 naming `body`',
			answer(400, 'input_validation_error', 'body: Expected object', [
				{ field: 'body', message: 'Expected object, received string' },
			]),
		],
		[
			'400 that found no file part',
			answer(400, 'input_validation_error', 'file: Required', [
				{ field: 'file', message: 'Required' },
			]),
		],
		[
			'400 without fields about the body',
			answer(400, 'bad_request', 'Expected a JSON body, got multipart/form-data.'),
		],
	])('%s refuses the form: remembered for the run', (_what, error) => {
		expect(directRefusal(error)).toBe('form');
	});

	it.each([
		['413', answer(413, 'http_413', 'Payload too large.')],
		[
			'400 naming the file as too large',
			answer(400, 'input_validation_error', 'file: too large', [
				{ field: 'file', message: 'File exceeds the 4000000 byte direct upload limit' },
			]),
		],
	])('%s refuses this file only', (_what, error) => {
		expect(directRefusal(error)).toBe('item');
	});

	it.each([
		['404 for a workspace', answer(404, 'not_found', 'Workspace not found.')],
		['404 for a project', answer(404, 'not_found', 'Project not found.')],
		[
			'400 on content_type',
			answer(400, 'input_validation_error', 'content_type: Unsupported content type', [
				{ field: 'content_type', message: 'Unsupported content type. Allowed: image/png' },
			]),
		],
		[
			'400 on workspace_id',
			answer(400, 'input_validation_error', 'workspace_id: Invalid', [
				{ field: 'workspace_id', message: 'Invalid workspace_id: must start with "ws_"' },
			]),
		],
		['400 with a message only', answer(400, 'input_validation_error', 'Invalid request.')],
		['401', answer(401, 'unauthorized', 'Invalid API key.')],
		['402', answer(402, 'insufficient_credits', 'Insufficient credits.')],
		['403', answer(403, 'forbidden', 'Forbidden.')],
		['409', answer(409, 'idempotency_duplicate', 'Duplicate idempotency key.')],
		['429', answer(429, 'rate_limited', 'Rate limit exceeded.')],
		['500', answer(500, 'unknown_error', 'An unknown error occurred.')],
		['a network failure', answer(0, 'ECONNRESET', 'Could not reach FLORA')],
	])('%s is not a refusal: the item’s own error', (_what, error) => {
		expect(directRefusal(error)).toBeUndefined();
	});
});

describe('A multipart request to the FLORA API', () => {
	const policy = { ...RETRY_POLICY };
	afterEach(() => Object.assign(RETRY_POLICY, policy));

	function stub(answers: Array<{ statusCode: number } | Error>) {
		const sent: Array<Record<string, unknown>> = [];
		const context = {
			getNode: () => ({ name: 'Flora', type: 'n8n-nodes-flora.flora', typeVersion: 1, id: 'n1' }),
			getCredentials: async () => ({ apiKey: 'sk_live_unit', baseUrl: 'https://flora.test/v1' }),
			getExecutionCancelSignal: () => undefined,
			helpers: {
				httpRequestWithAuthentication: async (_c: string, options: Record<string, unknown>) => {
					sent.push(options);
					// Read the file part, as the HTTP client would.
					const entries = [
						...(options.body as { entries(): Iterable<[string, unknown]> }).entries(),
					];
					const file = entries[entries.length - 1][1] as { stream(): AsyncIterable<Uint8Array> };
					for await (const _chunk of file.stream()) void _chunk;
					const next = answers.shift();
					if (!next) throw new Error('no answer left');
					if (next instanceof Error) throw next;
					return { headers: {}, body: { asset_id: 'asset_1', status: 'ready' }, ...next };
				},
			},
		} as unknown as IExecuteFunctions;
		return { context, sent };
	}

	const source = (bytes: Buffer, size = bytes.length) => {
		const opened: number[] = [];
		const closed: number[] = [];
		return {
			opened,
			closed,
			upload: {
				fileName: 'a.png',
				contentType: 'image/png',
				size,
				open: async () => {
					opened.push(opened.length);
					const stream = (async function* () {
						yield new Uint8Array(bytes);
					})();
					return Object.assign(stream, { destroy: () => closed.push(closed.length) });
				},
			},
		};
	};

	it('opens a fresh body for every attempt, closes each one, and keeps the Idempotency-Key', async () => {
		Object.assign(RETRY_POLICY, { backoffBaseMs: 1, backoffCapMs: 2 });
		const file = source(Buffer.from('png bytes'));
		const { context, sent } = stub([
			Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }),
			{ statusCode: 503 },
			{ statusCode: 201 },
		]);
		const outcome = await floraApiTryRequest.call(context, {
			method: 'POST',
			path: '/assets',
			multipart: async () => await openMultipart([['workspace_id', 'ws_1']], 'file', file.upload),
			idempotencyKey: 'n8n_key',
		});
		expect(outcome.ok).toBe(true);
		expect(sent).toHaveLength(3);
		expect(file.opened).toHaveLength(3);
		expect(file.closed).toHaveLength(3);
		expect(new Set(sent.map((o) => o.body)).size).toBe(3);
		expect(sent.map((o) => (o.headers as Record<string, string>)['Idempotency-Key'])).toEqual([
			'n8n_key',
			'n8n_key',
			'n8n_key',
		]);
		// The HTTP client sets the multipart Content-Type with its boundary.
		expect(
			sent.every((o) => (o.headers as Record<string, string>)['Content-Type'] === undefined),
		).toBe(true);
	});

	it('stops at once when the file is shorter than its recorded size', async () => {
		const file = source(Buffer.from('short'), 10);
		const { context, sent } = stub([{ statusCode: 201 }]);
		await expect(
			floraApiTryRequest.call(context, {
				method: 'POST',
				path: '/assets',
				multipart: async () => await openMultipart([], 'file', file.upload),
				idempotencyKey: 'n8n_key',
			}),
		).rejects.toBeInstanceOf(UploadFailedError);
		expect(sent).toHaveLength(1);
		expect(file.closed).toHaveLength(1);
	});
});
