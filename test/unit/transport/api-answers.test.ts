/**
 * FLORA API answers the node must not take at face value: 2xx that is not
 * FLORA's JSON, Retry-After on 5xx within the retry budget, secrets in codes,
 * request IDs and redirect targets; and the Base URL rule shared with the
 * credential test.
 */
import type { IExecuteFunctions } from 'n8n-workflow';

import { FloraApi } from '../../../credentials/FloraApi.credentials';
import {
	floraApiTryRequest,
	isAllowedBaseUrl,
	normaliseBaseUrl,
	RETRY_POLICY,
} from '../../../nodes/Flora/transport';

const SECRET = 'sk_live_unit_secret_value';

type Answer = { statusCode: number; headers?: Record<string, string>; body?: unknown };

function stubContext(answers: Answer[], baseUrl: unknown = 'https://flora.test/api/v1') {
	const calls: Array<{ options: Record<string, any>; at: number }> = [];
	const context = {
		getNode: () => ({ name: 'Flora', type: 'n8n-nodes-flora.flora', typeVersion: 1, id: 'n1' }),
		getCredentials: async () => ({ apiKey: SECRET, baseUrl }),
		getExecutionCancelSignal: () => undefined,
		helpers: {
			httpRequestWithAuthentication: async (_credential: string, options: Record<string, any>) => {
				calls.push({ options, at: Date.now() });
				const answer = answers.shift();
				if (!answer) throw new Error('no scripted answer left');
				return { headers: {}, body: {}, ...answer };
			},
		},
	} as unknown as IExecuteFunctions;
	return { context, calls };
}

const policy = { ...RETRY_POLICY };
afterEach(() => Object.assign(RETRY_POLICY, policy));

describe('A 2xx answer that is not FLORA JSON', () => {
	it('is an error naming what came back, for a proxy login page', async () => {
		const { context } = stubContext([
			{
				statusCode: 200,
				headers: { 'content-type': 'text/html' },
				body: '<html><title>Sign in to the proxy</title></html>',
			},
		]);
		const outcome = await floraApiTryRequest.call(context, { method: 'GET', path: '/assets/x' });
		expect(outcome.ok).toBe(false);
		if (outcome.ok) return;
		expect(outcome.error).toMatchObject({ status: 200, code: 'invalid_response' });
		expect(outcome.error.message).toBe(
			"The answer from https://flora.test/api/v1 was not FLORA's JSON (HTTP 200, text/html: <html><title>Sign in to the proxy</title></html>)",
		);
	});

	it.each([
		['a JSON array', [1, 2]],
		['a JSON string', '"ok"'],
		['an empty body', ''],
	])('is an error for %s', async (_what, body) => {
		const { context } = stubContext([{ statusCode: 201, body }]);
		const outcome = await floraApiTryRequest.call(context, { method: 'POST', path: '/assets' });
		expect(outcome.ok).toBe(false);
	});
});

describe('Retry-After on 503', () => {
	it('is waited for before the next attempt', async () => {
		Object.assign(RETRY_POLICY, { retryAfterFloorMs: 0 });
		const { context, calls } = stubContext([
			{ statusCode: 503, headers: { 'retry-after': '0.3' } },
			{ statusCode: 200, body: { ok: true } },
		]);
		const outcome = await floraApiTryRequest.call(context, { method: 'GET', path: '/workspaces' });
		expect(outcome.ok).toBe(true);
		expect(calls).toHaveLength(2);
		// A lower bound only: the wait may be longer on a loaded machine, never shorter.
		expect(calls[1].at - calls[0].at).toBeGreaterThanOrEqual(290);
	});

	it('counts against the retry budget: a wait that would end after the budget is not started', async () => {
		Object.assign(RETRY_POLICY, { totalBudgetMs: 2_000 });
		const { context, calls } = stubContext([
			{ statusCode: 503, headers: { 'retry-after': '30', 'request-id': 'req_1' } },
			{ statusCode: 200, body: { ok: true } },
		]);
		const outcome = await floraApiTryRequest.call(context, { method: 'GET', path: '/workspaces' });
		expect(calls).toHaveLength(1);
		expect(outcome.ok).toBe(false);
		if (!outcome.ok) expect(outcome.error).toMatchObject({ status: 503, requestId: 'req_1' });
	});

	it('counts against the retry budget for 429 too', async () => {
		Object.assign(RETRY_POLICY, { totalBudgetMs: 2_000 });
		const { context, calls } = stubContext([
			{ statusCode: 429, headers: { 'retry-after': '30' } },
			{ statusCode: 200, body: { ok: true } },
		]);
		const outcome = await floraApiTryRequest.call(context, { method: 'GET', path: '/workspaces' });
		expect(calls).toHaveLength(1);
		expect(outcome.ok).toBe(false);
	});
});

describe('Secrets in error details', () => {
	it('are removed from the error code and the request ID', async () => {
		const { context } = stubContext([
			{
				statusCode: 400,
				headers: { 'request-id': `req_${SECRET}` },
				body: { error: { code: `bad_${SECRET}`, message: 'Bad.' } },
			},
		]);
		const outcome = await floraApiTryRequest.call(context, { method: 'POST', path: '/assets' });
		expect(JSON.stringify(outcome)).not.toContain(SECRET);
		if (!outcome.ok) {
			expect(outcome.error.code).toBe('bad_[redacted]');
			expect(outcome.error.requestId).toBe('req_[redacted]');
		}
	});

	it('are removed from a redirect location', async () => {
		const { context } = stubContext([
			{
				statusCode: 307,
				headers: { location: `https://elsewhere.test/?key=${SECRET}`, 'request-id': SECRET },
			},
		]);
		const outcome = await floraApiTryRequest.call(context, { method: 'GET', path: '/assets' });
		expect(JSON.stringify(outcome)).not.toContain(SECRET);
		if (!outcome.ok) {
			expect(outcome.error.message).toContain('https://elsewhere.test/?key=[redacted]');
		}
	});
});

describe('The Base URL', () => {
	it.each([
		['', 'https://app.flora.ai/api/v1'],
		[undefined, 'https://app.flora.ai/api/v1'],
		['   ', 'https://app.flora.ai/api/v1'],
		['https://proxy.test/api/v1/', 'https://proxy.test/api/v1'],
		[' https://proxy.test/api/v1// ', 'https://proxy.test/api/v1'],
	])('%j is used as %s', (value, expected) => {
		expect(normaliseBaseUrl(value)).toBe(expected);
	});

	it.each([
		['https://app.flora.ai/api/v1', true],
		['http://127.0.0.1:4010/api/v1', true],
		['http://localhost:4010/api/v1', true],
		['http://app.flora.ai/api/v1', false],
		['http://127.0.0.1.example.com/api/v1', false],
		['ftp://app.flora.ai', false],
		['not a url', false],
	])('%s is allowed: %s', (url, allowed) => {
		expect(isAllowedBaseUrl(url)).toBe(allowed);
	});

	it('is refused before any request when it is plain http:// to another machine', async () => {
		const { context, calls } = stubContext([], 'http://app.flora.ai/api/v1');
		await expect(
			floraApiTryRequest.call(context, { method: 'GET', path: '/workspaces' }),
		).rejects.toThrow(
			'The Base URL of the Flora API credential must start with https:// (it is http://app.flora.ai/api/v1)',
		);
		expect(calls).toEqual([]);
	});

	describe("in the credential's test request", () => {
		const { request } = new FloraApi().test;
		// The expression body, evaluated as n8n would with $credentials in scope.
		const expression = String(request.baseURL)
			.replace(/^=\{\{/, '')
			.replace(/\}\}$/, '');
		const evaluate = (baseUrl: unknown) =>
			new Function('$credentials', `return ${expression};`)({ baseUrl }) as string;

		it.each([
			'',
			'https://proxy.test/api/v1/',
			' https://proxy.test/x// ',
			'http://127.0.0.1:9/api/v1/',
		])('normalises %j exactly as node runs do', (value) => {
			expect(evaluate(value)).toBe(normaliseBaseUrl(value));
		});

		it.each(['http://app.flora.ai/api/v1', 'http://127.0.0.1.example.com/api/v1'])(
			'refuses %s, as node runs do',
			(value) => {
				expect(isAllowedBaseUrl(normaliseBaseUrl(value))).toBe(false);
				expect(() => evaluate(value)).toThrow('The Base URL must start with https://');
			},
		);

		it('follows no redirect', () => {
			expect(request.disableFollowRedirect).toBe(true);
		});
	});
});
