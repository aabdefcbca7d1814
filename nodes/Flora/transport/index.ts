import type {
	IDataObject,
	IExecuteFunctions,
	IHttpRequestMethods,
	IHttpRequestOptions,
	ILoadOptionsFunctions,
	IWebhookFunctions,
	JsonObject,
} from 'n8n-workflow';
import { NodeApiError } from 'n8n-workflow';

import { parseJsonBody } from '../helpers/json';
import { waitFor } from '../helpers/wait';
import { redactSecrets } from '../helpers/redact';
import { FloraCancelledError } from '../helpers/errors';
import type { OpenedMultipart } from './upload';
import { UploadFailedError } from './upload';

export type FloraContext = IExecuteFunctions | ILoadOptionsFunctions | IWebhookFunctions;

const DEFAULT_BASE_URL = 'https://app.flora.ai/api/v1';

/** Retry and timeout policy for every FLORA API call. */
export const RETRY_POLICY = {
	maxAttempts: 6,
	totalBudgetMs: 5 * 60_000,
	requestTimeoutMs: 60_000,
	backoffBaseMs: 500,
	backoffCapMs: 15_000,
	retryAfterFloorMs: 1_000,
	retryAfterCapMs: 60_000,
};

const RETRYABLE_STATUS = new Set([500, 502, 503, 504]);
const RETRYABLE_NETWORK_CODES = new Set([
	'ECONNRESET',
	'ECONNREFUSED',
	'ECONNABORTED',
	'ETIMEDOUT',
	'ESOCKETTIMEDOUT',
	'EPIPE',
	'EAI_AGAIN',
	'ENETUNREACH',
	'EHOSTUNREACH',
	'ERR_SOCKET_CONNECTION_TIMEOUT',
]);

const HINTS: Record<string, string> = {
	unauthorized: 'Check the API key in the Flora API credential (it starts with sk_live_).',
	invalid_api_key: 'Check the API key in the Flora API credential (it starts with sk_live_).',
	forbidden: 'The API key has no access to this workspace or resource.',
	input_validation_error: 'Fix the fields named above and run the node again.',
	invalid_json: 'The request body was not valid JSON.',
	insufficient_credits: 'The workspace is out of FLORA credits.',
	not_found:
		'Check the ID; FLORA answers 404 both for missing items and for ones this key cannot see.',
	idempotency_duplicate:
		'FLORA already accepted a request with this Idempotency-Key in the last 2 hours.',
	rate_limited: 'FLORA is rate limiting this workspace; lower the Concurrency option.',
	redirect_not_followed:
		'Check the Base URL of the Flora API credential: it should be the API address itself (https://app.flora.ai/api/v1).',
};

export interface FloraErrorBody {
	code: string;
	message: string;
	fields?: Array<{ field: string; message: string }>;
}

/** Data every FLORA API error carries into n8n's error output (never headers). */
export interface FloraErrorDetails extends JsonObject {
	status: number;
	code: string;
	message: string;
	fields: Array<{ field: string; message: string }>;
	requestId: string | null;
}

export class FloraApiError extends NodeApiError {
	readonly flora: FloraErrorDetails;

	constructor(context: FloraContext, details: FloraErrorDetails, itemIndex?: number) {
		const fieldText = details.fields.map((f) => `${f.field}: ${f.message}`).join('; ');
		const hint = HINTS[details.code] ?? '';
		const description = [
			`FLORA answered ${details.status} ${details.code}.`,
			fieldText ? `Fields: ${fieldText}.` : '',
			hint,
			details.requestId ? `Request ID: ${details.requestId}.` : '',
		]
			.filter(Boolean)
			.join(' ');
		super(context.getNode(), details, {
			message: `FLORA: ${details.message}`,
			description,
			httpCode: String(details.status),
			itemIndex,
		});
		this.flora = details;
		// n8n's UI and error workflows know NodeApiError by this name.
		this.name = 'NodeApiError';
	}
}

export interface FloraRequest {
	method: IHttpRequestMethods;
	/** Path below the base URL, e.g. `/assets`. */
	path: string;
	body?: IDataObject;
	/**
	 * A multipart body instead of `body`, opened afresh for every attempt (its
	 * file is a stream, read once) and closed after it.
	 */
	multipart?: () => Promise<OpenedMultipart>;
	qs?: IDataObject;
	/** Sent as `Idempotency-Key` so a retried mutation is never applied twice. */
	idempotencyKey?: string;
	/** Fewer attempts than the policy's, e.g. for editor dropdowns that should answer fast. */
	maxAttempts?: number;
	itemIndex?: number;
}

interface RawResponse {
	statusCode: number;
	headers: Record<string, string | string[] | undefined>;
	body: unknown;
}

/** 429s pause every item of this node run, not only the one that got it. */
const rateLimitGates = new WeakMap<object, { openAt: number }>();

function gateFor(context: FloraContext) {
	let gate = rateLimitGates.get(context);
	if (!gate) {
		gate = { openAt: 0 };
		rateLimitGates.set(context, gate);
	}
	return gate;
}

export function cancelSignalOf(context: FloraContext): AbortSignal | undefined {
	const getSignal = (context as IExecuteFunctions).getExecutionCancelSignal;
	return typeof getSignal === 'function' ? getSignal.call(context) : undefined;
}

/**
 * The Base URL as every request uses it: empty means FLORA's own, surrounding
 * spaces and trailing slashes are dropped. The credential's test request does
 * the same in its expression.
 */
export function normaliseBaseUrl(value: unknown): string {
	const text = typeof value === 'string' ? value.trim() : '';
	return (text || DEFAULT_BASE_URL).replace(/\/+$/, '');
}

/**
 * Whether the key may be sent to this Base URL: HTTPS, or plain HTTP to this
 * machine only (localhost, 127.x, [::1]), e.g. for the FLORA simulator. The
 * credential's test request applies the same rule.
 */
export function isAllowedBaseUrl(baseUrl: string): boolean {
	let url: URL;
	try {
		url = new URL(baseUrl);
	} catch {
		return false;
	}
	if (url.protocol === 'https:') return true;
	return (
		url.protocol === 'http:' &&
		(url.hostname === 'localhost' ||
			/^127\.\d+\.\d+\.\d+$/.test(url.hostname) ||
			url.hostname === '[::1]')
	);
}

/** The API base URL, and the secrets no message may ever contain. */
async function readCredentials(context: FloraContext) {
	const credentials = await context.getCredentials('floraApi');
	const baseUrl = normaliseBaseUrl(credentials.baseUrl);
	if (!isAllowedBaseUrl(baseUrl)) {
		throw new NodeApiError(
			context.getNode(),
			{ baseUrl },
			{
				message: `The Base URL of the Flora API credential must start with https:// (it is ${baseUrl})`,
				description:
					'The API key would travel unencrypted. Use https://app.flora.ai/api/v1, or an HTTPS proxy; plain http:// is accepted only for this machine (localhost), e.g. the FLORA simulator.',
			},
		);
	}
	const secrets = [
		String(credentials.apiKey ?? ''),
		String(credentials.webhookSecret ?? ''),
	].filter((s) => s.length >= 4);
	return { baseUrl, secrets };
}

/** Parses `Retry-After` (delta seconds or an HTTP date) into milliseconds. */
export function parseRetryAfter(value: unknown, now = Date.now()): number | undefined {
	if (Array.isArray(value)) value = value[0];
	if (typeof value !== 'string' || value.trim() === '') return undefined;
	const trimmed = value.trim();
	if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
	const date = Date.parse(trimmed);
	if (Number.isNaN(date)) return undefined;
	return Math.max(0, date - now);
}

export function backoffDelay(attempt: number, random = Math.random): number {
	const ceiling = Math.min(
		RETRY_POLICY.backoffCapMs,
		RETRY_POLICY.backoffBaseMs * 2 ** Math.max(0, attempt - 1),
	);
	// "Equal jitter": at least half the step, so retries still spread out under load.
	return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

export function clampRetryAfter(ms: number): number {
	return Math.min(RETRY_POLICY.retryAfterCapMs, Math.max(RETRY_POLICY.retryAfterFloorMs, ms));
}

function headerValue(headers: RawResponse['headers'], name: string): string | undefined {
	const value = headers?.[name] ?? headers?.[name.toLowerCase()];
	return Array.isArray(value) ? value[0] : value;
}

export function toErrorDetails(response: RawResponse, secrets: string[]): FloraErrorDetails {
	const body = parseJsonBody(response.body) as { error?: Partial<FloraErrorBody> } | undefined;
	const error = body && typeof body === 'object' ? body.error : undefined;
	const fields = Array.isArray(error?.fields)
		? error.fields.map((f) => ({
				field: redactSecrets(String(f?.field ?? ''), secrets),
				message: redactSecrets(String(f?.message ?? ''), secrets),
			}))
		: [];
	return {
		status: response.statusCode,
		code: redactSecrets(String(error?.code ?? `http_${response.statusCode}`), secrets),
		message: redactSecrets(
			String(error?.message ?? `FLORA answered HTTP ${response.statusCode}.`),
			secrets,
		),
		fields,
		requestId: requestIdOf(response, secrets),
	};
}

function requestIdOf(response: RawResponse, secrets: string[]): string | null {
	const value = headerValue(response.headers, 'request-id');
	return value === undefined ? null : redactSecrets(String(value), secrets);
}

function redirectError(
	response: RawResponse,
	baseUrl: string,
	secrets: string[],
): FloraErrorDetails {
	const location = headerValue(response.headers, 'location');
	return {
		status: response.statusCode,
		code: 'redirect_not_followed',
		message: redactSecrets(
			`FLORA answered a redirect${location ? ` to ${location}` : ''}, which is not followed so the API key stays with ${baseUrl}`,
			secrets,
		),
		fields: [],
		requestId: requestIdOf(response, secrets),
	};
}

/** A 2xx answer whose body is not a JSON object: a proxy's login page, for instance. */
function notJsonError(
	response: RawResponse,
	baseUrl: string,
	secrets: string[],
): FloraErrorDetails {
	const type = headerValue(response.headers, 'content-type');
	const text = typeof response.body === 'string' ? response.body.trim().slice(0, 120) : '';
	return {
		status: response.statusCode,
		code: 'invalid_response',
		message: redactSecrets(
			`The answer from ${baseUrl} was not FLORA's JSON (HTTP ${response.statusCode}${type ? `, ${type}` : ''}${text ? `: ${text}` : ''})`,
			secrets,
		),
		fields: [],
		requestId: requestIdOf(response, secrets),
	};
}

export function networkErrorCode(error: unknown): string | undefined {
	const e = error as { code?: unknown; cause?: { code?: unknown } };
	const code = typeof e?.code === 'string' ? e.code : undefined;
	const causeCode = typeof e?.cause?.code === 'string' ? e.cause.code : undefined;
	return [code, causeCode].find((c) => c !== undefined && RETRYABLE_NETWORK_CODES.has(c));
}

function isCancelled(error: unknown, signal?: AbortSignal): boolean {
	return (
		signal?.aborted === true ||
		(error as { code?: string })?.code === 'ERR_CANCELED' ||
		(error as { name?: string })?.name === 'CanceledError'
	);
}

export type FloraOutcome =
	| { ok: true; body: IDataObject }
	| { ok: false; error: FloraErrorDetails };

/**
 * The one place that sends authenticated requests to the FLORA API: adds the
 * Idempotency-Key, retries 429/5xx/network failures within a budget, and gives
 * back FLORA's final answer, with any error's text free of the API key. Never
 * throws for FLORA's answers: an error comes back as `{ ok: false, error }` for
 * callers that handle it (a 409 on a replayed create, a 404 on Get).
 */
export async function floraApiTryRequest(
	this: FloraContext,
	request: FloraRequest,
): Promise<FloraOutcome> {
	const { baseUrl, secrets } = await readCredentials(this);
	const signal = cancelSignalOf(this);
	const gate = gateFor(this);
	const started = Date.now();

	const headers: IDataObject = { Accept: 'application/json' };
	if (request.idempotencyKey) headers['Idempotency-Key'] = request.idempotencyKey;

	const options: IHttpRequestOptions = {
		method: request.method,
		url: `${baseUrl}${request.path}`,
		qs: request.qs,
		body: request.body,
		json: true,
		returnFullResponse: true,
		ignoreHttpStatusErrors: true,
		timeout: RETRY_POLICY.requestTimeoutMs,
		// FLORA's API does not redirect; following one would carry the key to
		// wherever it points on n8n versions that re-add it on every hop.
		disableFollowRedirect: true,
		sendCredentialsOnCrossOriginRedirect: false,
		abortSignal: signal,
	};

	for (let attempt = 1; ; attempt++) {
		const gateWait = gate.openAt - Date.now();
		if (gateWait > 0) await waitFor(gateWait, signal);
		if (signal?.aborted) throw new FloraCancelledError();

		let response: RawResponse | undefined;
		let failure: unknown;
		let multipart: OpenedMultipart | undefined;
		try {
			if (request.multipart) multipart = await request.multipart();
			response = (await this.helpers.httpRequestWithAuthentication.call(this, 'floraApi', {
				...options,
				// Never a Content-Type of its own: the HTTP client sets it with the boundary.
				...(multipart ? { body: multipart.form } : {}),
				// n8n adds the Authorization header to this object: a fresh copy per attempt.
				headers: { ...headers },
			})) as RawResponse;
		} catch (error) {
			failure = error;
		} finally {
			multipart?.close();
		}

		if (!response) {
			if (isCancelled(failure, signal)) throw new FloraCancelledError();
			// The file itself is broken (shorter or longer than its recorded size):
			// another attempt would send the same bytes.
			const sourceError = [failure, (failure as { cause?: unknown })?.cause].find(
				(e) => e instanceof UploadFailedError && !e.retryable,
			);
			if (sourceError) throw sourceError;
			const code = networkErrorCode(failure);
			const delay = backoffDelay(attempt);
			if (code && canRetry(attempt, started, request.maxAttempts, delay)) {
				await waitFor(delay, signal);
				continue;
			}
			return {
				ok: false,
				error: {
					status: 0,
					code: code ?? 'network_error',
					message: redactSecrets(
						`Could not reach FLORA at ${baseUrl}: ${(failure as Error)?.message ?? String(failure)}`,
						secrets,
					),
					fields: [],
					requestId: null,
				},
			};
		}

		if (response.statusCode >= 300 && response.statusCode < 400) {
			return { ok: false, error: redirectError(response, baseUrl, secrets) };
		}
		if (response.statusCode < 400) {
			const body = parseJsonBody(response.body ?? {});
			if (!body || typeof body !== 'object' || Array.isArray(body)) {
				return { ok: false, error: notJsonError(response, baseUrl, secrets) };
			}
			return { ok: true, body: body as IDataObject };
		}
		if (response.statusCode === 429 || RETRYABLE_STATUS.has(response.statusCode)) {
			const retryAfter = parseRetryAfter(headerValue(response.headers, 'retry-after'));
			const delay = retryAfter === undefined ? backoffDelay(attempt) : clampRetryAfter(retryAfter);
			// The budget counts the wait: no retry that could only start after it ran out.
			if (canRetry(attempt, started, request.maxAttempts, delay)) {
				if (response.statusCode === 429) {
					gate.openAt = Math.max(gate.openAt, Date.now() + delay);
				} else {
					await waitFor(delay, signal);
				}
				continue;
			}
		}
		return { ok: false, error: toErrorDetails(response, secrets) };
	}
}

/** Like floraApiTryRequest, but throws FLORA's errors as NodeApiErrors. */
export async function floraApiRequest(
	this: FloraContext,
	request: FloraRequest,
): Promise<IDataObject> {
	const outcome = await floraApiTryRequest.call(this, request);
	if (!outcome.ok) throw new FloraApiError(this, outcome.error, request.itemIndex);
	return outcome.body;
}

/** Whether another attempt fits: attempts left, and the wait before it within the time budget. */
function canRetry(
	attempt: number,
	started: number,
	maxAttempts = RETRY_POLICY.maxAttempts,
	delayMs = 0,
): boolean {
	return (
		attempt < Math.min(maxAttempts, RETRY_POLICY.maxAttempts) &&
		Date.now() - started + delayMs < RETRY_POLICY.totalBudgetMs
	);
}

/** Follows `meta.next_cursor` until the end, or until `limit` items were collected. */
export async function floraApiRequestAllItems(
	this: FloraContext,
	request: FloraRequest & { property: string; limit?: number; pageSize?: number },
): Promise<IDataObject[]> {
	const results: IDataObject[] = [];
	let cursor: string | undefined;
	do {
		const remaining = request.limit === undefined ? undefined : request.limit - results.length;
		const pageSize = Math.min(request.pageSize ?? 100, remaining ?? 100);
		const page = await floraApiRequest.call(this, {
			...request,
			qs: { ...request.qs, limit: pageSize, ...(cursor ? { cursor } : {}) },
		});
		const entries = (page[request.property] as IDataObject[] | undefined) ?? [];
		results.push(...entries);
		const meta = page.meta as IDataObject | undefined;
		const next =
			typeof meta?.next_cursor === 'string' && meta.next_cursor ? meta.next_cursor : undefined;
		if (next !== undefined && next === cursor) {
			// A cursor that does not move would loop forever.
			throw new NodeApiError(
				this.getNode(),
				{ next_cursor: next },
				{
					message: 'FLORA returned the same page cursor twice; the list was stopped',
					itemIndex: request.itemIndex,
				},
			);
		}
		cursor = next;
	} while (cursor && (request.limit === undefined || results.length < request.limit));
	return request.limit === undefined ? results : results.slice(0, request.limit);
}
