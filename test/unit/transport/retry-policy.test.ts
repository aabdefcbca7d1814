import {
	backoffDelay,
	clampRetryAfter,
	networkErrorCode,
	parseRetryAfter,
	RETRY_POLICY,
	toErrorDetails,
} from '../../../nodes/Flora/transport';

describe('Retry-After', () => {
	it('reads delta seconds', () => {
		expect(parseRetryAfter('3')).toBe(3000);
		expect(parseRetryAfter('0.5')).toBe(500);
		expect(parseRetryAfter([' 7 '])).toBe(7000);
	});

	it('reads an HTTP date relative to now', () => {
		const now = Date.parse('2026-11-27T12:00:00Z');
		expect(parseRetryAfter('Fri, 27 Nov 2026 12:00:10 GMT', now)).toBe(10_000);
		expect(parseRetryAfter('Fri, 27 Nov 2026 11:59:00 GMT', now)).toBe(0);
	});

	it('ignores what it cannot read', () => {
		expect(parseRetryAfter(undefined)).toBeUndefined();
		expect(parseRetryAfter('')).toBeUndefined();
		expect(parseRetryAfter('soon')).toBeUndefined();
	});

	it('is clamped between a floor and a cap', () => {
		expect(clampRetryAfter(0)).toBe(RETRY_POLICY.retryAfterFloorMs);
		expect(clampRetryAfter(5_000)).toBe(5_000);
		expect(clampRetryAfter(3_600_000)).toBe(RETRY_POLICY.retryAfterCapMs);
	});
});

describe('Backoff', () => {
	it('doubles per attempt, with jitter in the upper half, up to the cap', () => {
		expect(backoffDelay(1, () => 0)).toBe(250);
		expect(backoffDelay(1, () => 1)).toBe(500);
		expect(backoffDelay(2, () => 0)).toBe(500);
		expect(backoffDelay(3, () => 1)).toBe(2000);
		expect(backoffDelay(20, () => 1)).toBe(RETRY_POLICY.backoffCapMs);
	});
});

describe('Network errors', () => {
	it('recognises retryable codes on the error or its cause', () => {
		expect(networkErrorCode({ code: 'ECONNRESET' })).toBe('ECONNRESET');
		expect(networkErrorCode({ cause: { code: 'ETIMEDOUT' } })).toBe('ETIMEDOUT');
		expect(networkErrorCode({ code: 'ERR_BAD_REQUEST' })).toBeUndefined();
		expect(networkErrorCode(new Error('x'))).toBeUndefined();
	});
});

describe('FLORA error bodies', () => {
	it('keep code, message, fields and request id, and lose any secret', () => {
		const details = toErrorDetails(
			{
				statusCode: 400,
				headers: { 'request-id': 'req_123' },
				body: {
					error: {
						code: 'input_validation_error',
						message: 'Bad header Authorization: Bearer sk_live_abcdef123',
						fields: [{ field: 'workspace_id', message: 'Invalid (key sk_live_abcdef123)' }],
					},
				},
			},
			['sk_live_abcdef123'],
		);
		expect(details).toEqual({
			status: 400,
			code: 'input_validation_error',
			message: 'Bad header Authorization: Bearer [redacted]',
			fields: [{ field: 'workspace_id', message: 'Invalid (key [redacted])' }],
			requestId: 'req_123',
		});
	});

	it('cope with a body that is not FLORA-shaped', () => {
		expect(
			toErrorDetails({ statusCode: 502, headers: {}, body: '<html>Bad gateway</html>' }, []),
		).toEqual({
			status: 502,
			code: 'http_502',
			message: 'FLORA answered HTTP 502.',
			fields: [],
			requestId: null,
		});
	});
});
