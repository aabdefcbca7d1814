// FLORA's run-callback signature (`Flora-Signature: t=<unix s>,v1=<hex>[,v1=<hex>…]`):
// hex HMAC-SHA256 over `${t}.${rawBody}`, keyed with the whole workspace secret, `whsec_`
// prefix included. Pure functions, so the rules can be tested without a request.
import { createHmac, timingSafeEqual } from 'crypto';

export const SIGNATURE_HEADER = 'flora-signature';
export const DELIVERY_ID_HEADER = 'flora-webhook-id';

/** FLORA's SDK refuses a `t` further than this from now, in either direction. */
export const DEFAULT_TOLERANCE_SECONDS = 300;

const HEX_SHA256 = /^[0-9a-f]{64}$/i;
// Twelve digits reach past the year 33000; more is not a timestamp.
const UNIX_SECONDS = /^\d{1,12}$/;

export interface ParsedSignature {
	timestamp: number;
	/** Every `v1` value, in order; more than one while FLORA rotates the secret. */
	signatures: string[];
}

export type SignatureFailure =
	| 'no_secret'
	| 'no_raw_body'
	| 'missing_header'
	| 'malformed_header'
	| 'mismatch'
	| 'stale_timestamp'
	| 'future_timestamp';

export type SignatureCheck =
	| { valid: true; timestamp: number }
	| { valid: false; reason: SignatureFailure; message: string };

export interface SignatureInput {
	/** The Webhook Secret of the credential (`whsec_…`). */
	secret: string | undefined;
	/** The `Flora-Signature` header as n8n received it. */
	header: string | string[] | undefined;
	/** The body bytes exactly as received; never a re-serialised copy of the parsed JSON. */
	rawBody: Buffer | string | undefined;
	toleranceSeconds?: number;
	/** Now, in unix seconds (tests fix it). */
	nowSeconds?: number;
}

/** Reads `t=…,v1=…[,v1=…]`; unknown keys are skipped (later schemes). Undefined when unusable. */
export function parseSignatureHeader(header: string): ParsedSignature | undefined {
	let timestamp: number | undefined;
	const signatures: string[] = [];
	for (const part of header.split(',')) {
		const at = part.indexOf('=');
		if (at < 0) continue;
		const key = part.slice(0, at).trim();
		const value = part.slice(at + 1).trim();
		if (key === 't') {
			// Two timestamps leave it open which one was signed.
			if (timestamp !== undefined || !UNIX_SECONDS.test(value)) return undefined;
			timestamp = Number(value);
		} else if (key === 'v1' && value) {
			signatures.push(value);
		}
	}
	if (timestamp === undefined || signatures.length === 0) return undefined;
	return { timestamp, signatures };
}

/** The hex `v1` FLORA sends for this body and timestamp. */
export function computeSignature(secret: string, timestamp: number, rawBody: Buffer | string) {
	return createHmac('sha256', secret)
		.update(`${timestamp}.`)
		.update(typeof rawBody === 'string' ? Buffer.from(rawBody, 'utf8') : rawBody)
		.digest('hex');
}

function matchesAny(expectedHex: string, candidates: string[]): boolean {
	const expected = Buffer.from(expectedHex, 'hex');
	let matched = false;
	for (const candidate of candidates) {
		// Buffer.from(…, 'hex') stops silently at the first non-hex character: check the form first.
		if (!HEX_SHA256.test(candidate)) continue;
		const given = Buffer.from(candidate, 'hex');
		// Every candidate is compared, so the time taken does not say which one matched.
		if (given.length === expected.length && timingSafeEqual(given, expected)) matched = true;
	}
	return matched;
}

/**
 * Checks a delivery the way FLORA's SDK does: any one `v1` may match (secret rotation),
 * compared in constant time, and `t` within the tolerance either way (the edge itself passes).
 * Messages name what is wrong and what to set; they never contain the secret or the signature
 * that was expected.
 */
export function verifySignature(input: SignatureInput): SignatureCheck {
	const secret = (input.secret ?? '').trim();
	if (!secret) {
		return fail(
			'no_secret',
			'No Webhook Secret is set: add the workspace webhook signing secret (whsec_…) from FLORA to the Flora API credential this trigger uses',
		);
	}
	const header = Array.isArray(input.header) ? input.header.join(',') : input.header;
	if (!header || !header.trim())
		return fail('missing_header', 'The Flora-Signature header is missing');
	if (input.rawBody === undefined || input.rawBody === null) {
		return fail(
			'no_raw_body',
			'The request body was not available as received, so its signature cannot be checked',
		);
	}
	const parsed = parseSignatureHeader(header);
	if (!parsed) {
		return fail(
			'malformed_header',
			'The Flora-Signature header is malformed: expected t=<unix seconds>,v1=<hex signature>',
		);
	}
	if (!matchesAny(computeSignature(secret, parsed.timestamp, input.rawBody), parsed.signatures)) {
		return fail(
			'mismatch',
			'The Flora-Signature does not match this request: check that the Webhook Secret in the Flora API credential belongs to the workspace that started the run',
		);
	}
	const tolerance =
		input.toleranceSeconds !== undefined &&
		Number.isFinite(input.toleranceSeconds) &&
		input.toleranceSeconds > 0
			? Math.floor(input.toleranceSeconds)
			: DEFAULT_TOLERANCE_SECONDS;
	const now = input.nowSeconds ?? Math.floor(Date.now() / 1000);
	const age = now - parsed.timestamp;
	if (age > tolerance) {
		return fail(
			'stale_timestamp',
			`The Flora-Signature timestamp is ${age} seconds old; at most ${tolerance} seconds are accepted`,
		);
	}
	if (-age > tolerance) {
		return fail(
			'future_timestamp',
			`The Flora-Signature timestamp is ${-age} seconds in the future; at most ${tolerance} seconds are accepted`,
		);
	}
	return { valid: true, timestamp: parsed.timestamp };
}

function fail(reason: SignatureFailure, message: string): SignatureCheck {
	return { valid: false, reason, message };
}
