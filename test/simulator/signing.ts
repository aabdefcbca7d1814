/**
 * FLORA's run-callback signature (FLORA_API.md, "Run webhooks"): hex HMAC-SHA256 over
 * `${t}.${rawBody}`, keyed with the whole workspace secret (`whsec_` prefix included), sent as
 * `Flora-Signature: t=<unix s>,v1=<hex>[,v1=<hex>…]`. Used by the simulator to sign its
 * deliveries and by tests to forge or check requests.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'flora-signature';
export const DEFAULT_TOLERANCE_SECONDS = 300;

/** Hex HMAC-SHA256 of `${t}.${body}` keyed with `secret`. */
export function signFloraWebhook(secret: string, body: string | Buffer, t: number): string {
	return createHmac('sha256', secret)
		.update(`${t}.`)
		.update(typeof body === 'string' ? Buffer.from(body, 'utf8') : body)
		.digest('hex');
}

/** The `Flora-Signature` value: `t=<t>,v1=<hex>` with one v1 per secret, in order. */
export function floraSignatureHeader(
	secrets: string | string[],
	body: string | Buffer,
	t: number = Math.floor(Date.now() / 1000),
): string {
	const list = Array.isArray(secrets) ? secrets : [secrets];
	return [`t=${t}`, ...list.map((s) => `v1=${signFloraWebhook(s, body, t)}`)].join(',');
}

export function parseFloraSignature(header: string): { t: number | null; v1: string[] } {
	let t: number | null = null;
	const v1: string[] = [];
	for (const part of header.split(',')) {
		const i = part.indexOf('=');
		if (i < 0) continue;
		const k = part.slice(0, i).trim();
		const v = part.slice(i + 1).trim();
		if (k === 't' && /^\d+$/.test(v)) t = Number(v);
		else if (k === 'v1' && v) v1.push(v);
	}
	return { t, v1 };
}

/**
 * Checks a signature as FLORA's SDK does: any v1 may match (rotation), compared in constant
 * time, and `t` within `toleranceSeconds` of now either way. Returns why it fails, or undefined.
 */
export function verifyFloraWebhook(
	header: string | undefined,
	body: string | Buffer,
	secret: string,
	options: { toleranceSeconds?: number; nowMs?: number } = {},
): string | undefined {
	if (!header) return 'missing Flora-Signature header';
	const { t, v1 } = parseFloraSignature(header);
	if (t === null) return 'no timestamp (t=)';
	if (!v1.length) return 'no v1 signature';
	const expected = Buffer.from(signFloraWebhook(secret, body, t), 'hex');
	const ok = v1.some((hex) => {
		const got = Buffer.from(hex, 'hex');
		return got.length === expected.length && timingSafeEqual(got, expected);
	});
	if (!ok) return 'signature mismatch';
	const tolerance = options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
	const age = Math.floor((options.nowMs ?? Date.now()) / 1000) - t;
	if (tolerance > 0 && Math.abs(age) > tolerance)
		return `timestamp outside the ${tolerance}s tolerance (age ${age}s)`;
	return undefined;
}
