import type { IExecuteFunctions } from 'n8n-workflow';

import {
	floraApiRequest,
	floraApiRequestAllItems,
	floraApiTryRequest,
	RETRY_POLICY,
} from '../../../nodes/Flora/transport';

// Fast backoff: the policy's figures are covered in retry-policy.test.ts.
const policy = { ...RETRY_POLICY };
beforeAll(() => Object.assign(RETRY_POLICY, { backoffBaseMs: 4, backoffCapMs: 20 }));
afterAll(() => Object.assign(RETRY_POLICY, policy));

type Answer = { statusCode: number; headers?: Record<string, string>; body?: unknown } | Error;

/** An execute context whose HTTP helper answers from a script, recording each request. */
function stubContext(answers: Answer[]) {
	const calls: Array<{ credential: string; options: Record<string, any>; at: number }> = [];
	const context = {
		getNode: () => ({
			name: 'Flora',
			type: 'n8n-nodes-flora.flora',
			typeVersion: 1,
			id: 'n1',
			parameters: {},
			position: [0, 0],
		}),
		getCredentials: async () => ({
			apiKey: 'sk_live_unit_secret',
			baseUrl: 'https://flora.test/api/v1/',
		}),
		getExecutionCancelSignal: () => undefined,
		helpers: {
			httpRequestWithAuthentication: async (credential: string, options: Record<string, any>) => {
				calls.push({ credential, options, at: Date.now() });
				const answer = answers.shift();
				if (!answer) throw new Error('no scripted answer left');
				if (answer instanceof Error) throw answer;
				return { headers: {}, body: {}, ...answer };
			},
		},
	} as unknown as IExecuteFunctions;
	return { context, calls };
}

const netError = (code: string) => Object.assign(new Error(`socket ${code}`), { code });

describe('floraApiRequest', () => {
	it('sends through the floraApi credential to the base URL, with the Idempotency-Key', async () => {
		const { context, calls } = stubContext([{ statusCode: 201, body: { asset_id: 'asset_1' } }]);
		const body = await floraApiRequest.call(context, {
			method: 'POST',
			path: '/assets',
			body: { source: 'signed-url' },
			idempotencyKey: 'key-1',
		});
		expect(body).toEqual({ asset_id: 'asset_1' });
		expect(calls).toHaveLength(1);
		expect(calls[0].credential).toBe('floraApi');
		expect(calls[0].options).toMatchObject({
			method: 'POST',
			url: 'https://flora.test/api/v1/assets',
			headers: { 'Idempotency-Key': 'key-1', Accept: 'application/json' },
			json: true,
			timeout: 60_000,
			sendCredentialsOnCrossOriginRedirect: false,
		});
		expect(calls[0].options.headers.Authorization).toBeUndefined();
	});

	it('retries 500, 503 and network resets, then returns the answer', async () => {
		const { context, calls } = stubContext([
			{ statusCode: 500 },
			netError('ECONNRESET'),
			{ statusCode: 503 },
			{ statusCode: 200, body: { ok: true } },
		]);
		await expect(
			floraApiRequest.call(context, { method: 'GET', path: '/workspaces' }),
		).resolves.toEqual({ ok: true });
		expect(calls).toHaveLength(4);
	});

	it('waits for Retry-After on a 429', async () => {
		// On the fake clock, so the order of events is exact however loaded the machine is:
		// no second call before the Retry-After second has passed, one right after it.
		jest.useFakeTimers();
		try {
			const { context, calls } = stubContext([
				{ statusCode: 429, headers: { 'retry-after': '1' } },
				{ statusCode: 200, body: {} },
			]);
			const done = floraApiRequest.call(context, { method: 'GET', path: '/workspaces' });
			await jest.advanceTimersByTimeAsync(999);
			expect(calls).toHaveLength(1);
			await jest.advanceTimersByTimeAsync(1);
			await done;
			expect(calls).toHaveLength(2);
		} finally {
			jest.useRealTimers();
		}
	});

	it('does not retry a 400, and turns it into a NodeApiError without the key', async () => {
		const { context, calls } = stubContext([
			{
				statusCode: 400,
				headers: { 'request-id': 'req_9' },
				body: {
					error: { code: 'input_validation_error', message: 'Bearer sk_live_unit_secret is wrong' },
				},
			},
		]);
		const error = await floraApiRequest
			.call(context, { method: 'POST', path: '/assets', itemIndex: 3 })
			.catch((e: unknown) => e);
		expect(calls).toHaveLength(1);
		expect(error).toMatchObject({ name: 'NodeApiError', httpCode: '400' });
		expect((error as Error).message).toBe('FLORA: Bearer [redacted] is wrong');
		expect((error as { description: string }).description).toContain('Request ID: req_9');
		expect((error as { context: { itemIndex: number } }).context.itemIndex).toBe(3);
		expect(JSON.stringify(error)).not.toContain('sk_live_unit_secret');
	});

	it('gives up after the attempt limit with the last answer', async () => {
		const { context, calls } = stubContext(Array.from({ length: 6 }, () => ({ statusCode: 502 })));
		const outcome = await floraApiTryRequest.call(context, { method: 'GET', path: '/workspaces' });
		expect(outcome).toMatchObject({ ok: false, error: { status: 502 } });
		expect(calls).toHaveLength(RETRY_POLICY.maxAttempts);
	});

	it('reports a network failure that is not transient without retrying', async () => {
		const { context, calls } = stubContext([netError('ERR_INVALID_URL')]);
		const outcome = await floraApiTryRequest.call(context, { method: 'GET', path: '/workspaces' });
		expect(outcome).toMatchObject({ ok: false, error: { code: 'network_error', status: 0 } });
		expect(calls).toHaveLength(1);
	});
});

describe('floraApiRequestAllItems', () => {
	it('follows next_cursor to the end', async () => {
		const { context, calls } = stubContext([
			{ statusCode: 200, body: { assets: [{ a: 1 }, { a: 2 }], meta: { next_cursor: 'c1' } } },
			{ statusCode: 200, body: { assets: [{ a: 3 }], meta: { next_cursor: null } } },
		]);
		const items = await floraApiRequestAllItems.call(context, {
			method: 'GET',
			path: '/assets',
			property: 'assets',
		});
		expect(items).toEqual([{ a: 1 }, { a: 2 }, { a: 3 }]);
		expect(calls.map((c) => c.options.qs)).toEqual([{ limit: 100 }, { limit: 100, cursor: 'c1' }]);
	});

	it('stops with an error when FLORA repeats a cursor, instead of looping', async () => {
		const page = { statusCode: 200, body: { assets: [{ a: 1 }], meta: { next_cursor: 'same' } } };
		const { context, calls } = stubContext([page, page, page]);
		await expect(
			floraApiRequestAllItems.call(context, { method: 'GET', path: '/assets', property: 'assets' }),
		).rejects.toThrow('FLORA returned the same page cursor twice; the list was stopped');
		expect(calls).toHaveLength(2);
	});
});

describe('maxAttempts', () => {
	it('limits the attempts of one request below the policy', async () => {
		const { context, calls } = stubContext([
			{ statusCode: 503 },
			{ statusCode: 503 },
			{ statusCode: 200 },
		]);
		const outcome = await floraApiTryRequest.call(context, {
			method: 'GET',
			path: '/workspaces',
			maxAttempts: 2,
		});
		expect(outcome).toMatchObject({ ok: false, error: { status: 503 } });
		expect(calls).toHaveLength(2);
	});
});
