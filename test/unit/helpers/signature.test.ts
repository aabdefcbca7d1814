import { createHmac } from 'node:crypto';

import {
	DEFAULT_TOLERANCE_SECONDS,
	parseSignatureHeader,
	verifySignature,
	type SignatureInput,
} from '../../../nodes/Flora/helpers/signature';
import { floraSignatureHeader } from '../../simulator';

// The simulator's signer is written apart from the node's check: both must agree on FLORA's rule.
const SECRET = 'whsec_5f0c3a9e1b7d4c2a8e6f0b1d3c5a7e9f';
const OLD_SECRET = 'whsec_0a1b2c3d4e5f60718293a4b5c6d7e8f9';
const NOW = 1_800_000_000;
const BODY = Buffer.from(
	JSON.stringify({
		id: 'whd_0123456789abcdef01234567',
		type: 'run.completed',
		api_version: '2026-06-11',
		created_at: NOW * 1000,
		data: {
			run_id: 'run_abc123',
			run_type: 'generation',
			workspace_id: 'ws_demo',
			status: 'completed',
		},
	}),
);

function check(overrides: Partial<SignatureInput> = {}) {
	return verifySignature({
		secret: SECRET,
		header: floraSignatureHeader(SECRET, BODY, NOW),
		rawBody: BODY,
		nowSeconds: NOW,
		...overrides,
	});
}

function hmacHex(secret: string, t: number, body: Buffer): string {
	return createHmac('sha256', secret)
		.update(Buffer.concat([Buffer.from(`${t}.`), body]))
		.digest('hex');
}

/** A refusal's message must not help anyone forge the next request. */
function expectNoSecretIn(message: string) {
	expect(message).not.toContain(SECRET);
	expect(message).not.toContain(SECRET.slice(6));
	expect(message).not.toContain(hmacHex(SECRET, NOW, BODY));
}

describe('Flora-Signature verification', () => {
	it('accepts a correctly signed delivery', () => {
		expect(check()).toEqual({ valid: true, timestamp: NOW });
	});

	it('signs the raw bytes with the whole secret, whsec_ prefix included', () => {
		const header = `t=${NOW},v1=${hmacHex(SECRET, NOW, BODY)}`;
		expect(check({ header })).toEqual({ valid: true, timestamp: NOW });
		const withoutPrefix = `t=${NOW},v1=${hmacHex(SECRET.slice(6), NOW, BODY)}`;
		expect(check({ header: withoutPrefix })).toMatchObject({ valid: false, reason: 'mismatch' });
	});

	it('accepts two v1 values while the secret rotates, the current secret signing the second', () => {
		const header = floraSignatureHeader([OLD_SECRET, SECRET], BODY, NOW);
		expect(header.match(/v1=/g)).toHaveLength(2);
		expect(check({ header })).toEqual({ valid: true, timestamp: NOW });
	});

	it('accepts two v1 values while the secret rotates, the current secret signing the first', () => {
		const header = floraSignatureHeader([SECRET, OLD_SECRET], BODY, NOW);
		expect(check({ header })).toEqual({ valid: true, timestamp: NOW });
	});

	it('refuses a delivery without a Flora-Signature header', () => {
		for (const header of [undefined, '', '   ']) {
			const result = check({ header });
			expect(result).toMatchObject({ valid: false, reason: 'missing_header' });
			if (!result.valid) expect(result.message).toBe('The Flora-Signature header is missing');
		}
	});

	it.each([
		['no key=value pairs', 'garbage'],
		['no timestamp', `v1=${hmacHex(SECRET, NOW, BODY)}`],
		['no v1', `t=${NOW}`],
		['a timestamp that is not a number', `t=soon,v1=${hmacHex(SECRET, NOW, BODY)}`],
		['a negative timestamp', `t=-${NOW},v1=${hmacHex(SECRET, NOW, BODY)}`],
		['two timestamps', `t=${NOW},t=${NOW - 1},v1=${hmacHex(SECRET, NOW, BODY)}`],
		['an empty v1', `t=${NOW},v1=`],
	])('refuses a malformed header (%s)', (_label, header) => {
		const result = check({ header });
		expect(result).toMatchObject({ valid: false, reason: 'malformed_header' });
		if (!result.valid) {
			expect(result.message).toBe(
				'The Flora-Signature header is malformed: expected t=<unix seconds>,v1=<hex signature>',
			);
		}
	});

	it('refuses a delivery signed with another secret', () => {
		const result = check({ header: floraSignatureHeader('whsec_someone_else', BODY, NOW) });
		expect(result).toMatchObject({ valid: false, reason: 'mismatch' });
		if (!result.valid) {
			expect(result.message).toContain('check that the Webhook Secret in the Flora API credential');
			expectNoSecretIn(result.message);
		}
	});

	it('refuses a body altered by one byte after signing', () => {
		const altered = Buffer.from(BODY);
		altered[altered.indexOf('completed')] ^= 0x01;
		expect(altered.equals(BODY)).toBe(false);
		expect(check({ rawBody: altered })).toMatchObject({ valid: false, reason: 'mismatch' });
	});

	it('refuses a body re-serialised with other whitespace (only the bytes received count)', () => {
		const reserialised = Buffer.from(JSON.stringify(JSON.parse(BODY.toString()), null, 2));
		expect(check({ rawBody: reserialised })).toMatchObject({ valid: false, reason: 'mismatch' });
	});

	it('refuses a stale timestamp (a replay), even with a correct signature', () => {
		const t = NOW - DEFAULT_TOLERANCE_SECONDS - 1;
		const result = check({ header: floraSignatureHeader(SECRET, BODY, t) });
		expect(result).toMatchObject({ valid: false, reason: 'stale_timestamp' });
		if (!result.valid) {
			expect(result.message).toBe(
				'The Flora-Signature timestamp is 301 seconds old; at most 300 seconds are accepted',
			);
		}
	});

	it('refuses a timestamp further in the future than the tolerance', () => {
		const t = NOW + DEFAULT_TOLERANCE_SECONDS + 1;
		const result = check({ header: floraSignatureHeader(SECRET, BODY, t) });
		expect(result).toMatchObject({ valid: false, reason: 'future_timestamp' });
		if (!result.valid) {
			expect(result.message).toBe(
				'The Flora-Signature timestamp is 301 seconds in the future; at most 300 seconds are accepted',
			);
		}
	});

	it('accepts a timestamp exactly at the tolerance edge, in either direction', () => {
		for (const t of [NOW - DEFAULT_TOLERANCE_SECONDS, NOW + DEFAULT_TOLERANCE_SECONDS]) {
			expect(check({ header: floraSignatureHeader(SECRET, BODY, t) })).toEqual({
				valid: true,
				timestamp: t,
			});
		}
	});

	it('uses the configured tolerance instead of 300 seconds', () => {
		const header = floraSignatureHeader(SECRET, BODY, NOW - 61);
		expect(check({ header, toleranceSeconds: 60 })).toMatchObject({ reason: 'stale_timestamp' });
		expect(check({ header, toleranceSeconds: 61 })).toMatchObject({ valid: true });
	});

	it('refuses everything while no Webhook Secret is configured, and says what to set', () => {
		for (const secret of [undefined, '', '  ']) {
			const result = check({ secret });
			expect(result).toMatchObject({ valid: false, reason: 'no_secret' });
			if (!result.valid) {
				expect(result.message).toBe(
					'No Webhook Secret is set: add the workspace webhook signing secret (whsec_…) from FLORA to the Flora API credential this trigger uses',
				);
			}
		}
	});

	it('refuses a v1 that is not hex, even when it starts with the right signature', () => {
		const good = hmacHex(SECRET, NOW, BODY);
		// Node's hex decoder stops at the first non-hex character: "<good>zz" would decode to <good>.
		for (const v1 of [`${good}zz`, `zz${good.slice(2)}`, 'not-hex-at-all', good.slice(0, 62)]) {
			expect(check({ header: `t=${NOW},v1=${v1}` })).toMatchObject({
				valid: false,
				reason: 'mismatch',
			});
		}
	});

	it('accepts the signature in upper-case hex', () => {
		const header = `t=${NOW},v1=${hmacHex(SECRET, NOW, BODY).toUpperCase()}`;
		expect(check({ header })).toMatchObject({ valid: true });
	});

	it('refuses rather than re-serialises when the raw body is missing', () => {
		expect(check({ rawBody: undefined })).toMatchObject({ valid: false, reason: 'no_raw_body' });
	});

	it('never puts the secret or the expected signature into a refusal', () => {
		const refusals = [
			check({ header: floraSignatureHeader('whsec_other', BODY, NOW) }),
			check({ header: floraSignatureHeader(SECRET, BODY, NOW - 900) }),
			check({ header: 'garbage' }),
			check({ header: undefined }),
		];
		for (const result of refusals) {
			expect(result.valid).toBe(false);
			if (!result.valid) expectNoSecretIn(result.message);
		}
	});
});

describe('parseSignatureHeader', () => {
	it('keeps every v1 in order and skips keys it does not know', () => {
		expect(parseSignatureHeader(' t=12 , v0=old, v1=aa ,v1=bb,x')).toEqual({
			timestamp: 12,
			signatures: ['aa', 'bb'],
		});
	});
});
