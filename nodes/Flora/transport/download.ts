import type {
	IBinaryData,
	IExecuteFunctions,
	IHttpRequestOptions,
	IWebhookFunctions,
} from 'n8n-workflow';

import { FloraCancelledError, itemError } from '../helpers/errors';
import { redactSecrets, redactUrl } from '../helpers/redact';
import { waitFor } from '../helpers/wait';
import {
	backoffDelay,
	cancelSignalOf,
	clampRetryAfter,
	networkErrorCode,
	parseRetryAfter,
	RETRY_POLICY,
} from './index';

// The bytes' journey from a file host (FLORA's CDN, a signed storage link) into
// n8n's binary store: a plain GET without FLORA credentials, handed to n8n as a
// stream so filesystem, S3 and database modes never hold the whole file.

/** What the caller knows about the file before asking for it. */
/** A node run, or a trigger's webhook (the Flora Trigger downloads a run's outputs). */
export type DownloadContext = IExecuteFunctions | IWebhookFunctions;

export interface DownloadHints {
	fileName?: string;
	mimeType?: string;
}

export const DOWNLOAD_POLICY = {
	/** Restarts from the first byte after a transfer broke off mid-way. */
	maxRestarts: 3,
	maxRedirects: 5,
	/** No byte for this long ends the attempt (idle, not total: large files take long). */
	idleTimeoutMs: 120_000,
};

const RETRYABLE_STATUS = new Set([408, 429, 500, 502, 503, 504]);
const REDIRECT_STATUS = new Set([301, 302, 303, 307, 308]);
const GENERIC_TYPES = new Set([
	'application/octet-stream',
	'binary/octet-stream',
	'application/binary',
]);

const TYPES_BY_EXTENSION: Record<string, string> = {
	png: 'image/png',
	jpg: 'image/jpeg',
	jpeg: 'image/jpeg',
	webp: 'image/webp',
	gif: 'image/gif',
	avif: 'image/avif',
	heic: 'image/heic',
	heif: 'image/heif',
	svg: 'image/svg+xml',
	mp4: 'video/mp4',
	webm: 'video/webm',
	mov: 'video/quicktime',
	mp3: 'audio/mpeg',
	wav: 'audio/wav',
	ogg: 'audio/ogg',
	m4a: 'audio/mp4',
	pdf: 'application/pdf',
	txt: 'text/plain',
	json: 'application/json',
	zip: 'application/zip',
};

const EXTENSIONS_BY_TYPE: Record<string, string> = {
	'image/png': 'png',
	'image/jpeg': 'jpg',
	'image/webp': 'webp',
	'image/gif': 'gif',
	'image/avif': 'avif',
	'image/heic': 'heic',
	'image/heif': 'heif',
	'image/svg+xml': 'svg',
	'video/mp4': 'mp4',
	'video/webm': 'webm',
	'video/quicktime': 'mov',
	'audio/mpeg': 'mp3',
	'audio/mp3': 'mp3',
	'audio/wav': 'wav',
	'audio/x-wav': 'wav',
	'audio/wave': 'wav',
	'audio/ogg': 'ogg',
	'audio/mp4': 'm4a',
	'application/pdf': 'pdf',
	'text/plain': 'txt',
	'application/json': 'json',
	'application/zip': 'zip',
};

type Headers = Record<string, string | string[] | undefined>;

function header(headers: Headers | undefined, name: string): string | undefined {
	const value = headers?.[name] ?? headers?.[name.toLowerCase()];
	return Array.isArray(value) ? value[0] : value;
}

function extensionOf(fileName: string): string | undefined {
	const match = /\.([A-Za-z0-9]{1,8})$/.exec(fileName);
	return match ? match[1].toLowerCase() : undefined;
}

export function extensionForType(mimeType: string | undefined): string | undefined {
	return mimeType ? EXTENSIONS_BY_TYPE[mimeType.toLowerCase()] : undefined;
}

export function typeForFileName(fileName: string | undefined): string | undefined {
	const ext = fileName ? extensionOf(fileName) : undefined;
	return ext ? TYPES_BY_EXTENSION[ext] : undefined;
}

/** A file name safe for every binary store: no folders, no control characters. */
function cleanFileName(name: string | undefined): string | undefined {
	if (!name) return undefined;
	const base = name
		.split(/[/\\]/)
		.pop()!
		// eslint-disable-next-line no-control-regex
		.replace(/[\u0000-\u001f\u007f"]/g, '')
		.trim();
	return base && base !== '.' && base !== '..' ? base.slice(0, 255) : undefined;
}

/** `filename*` (RFC 5987, UTF-8) wins over `filename`, as browsers do. */
export function fileNameFromDisposition(disposition: string | undefined): string | undefined {
	if (!disposition) return undefined;
	const extended = /filename\*\s*=\s*([^']*)'[^']*'([^;]+)/i.exec(disposition);
	if (extended) {
		try {
			const name = cleanFileName(decodeURIComponent(extended[2].trim().replace(/^"|"$/g, '')));
			if (name) return name;
		} catch {
			// A malformed percent-encoding: fall back to the plain parameter.
		}
	}
	const quoted = /filename\s*=\s*"((?:[^"\\]|\\.)*)"/i.exec(disposition);
	if (quoted) return cleanFileName(quoted[1].replace(/\\(.)/g, '$1'));
	const token = /filename\s*=\s*([^;\s]+)/i.exec(disposition);
	return token ? cleanFileName(token[1]) : undefined;
}

function lastPathSegment(url: string): string | undefined {
	try {
		const segment = new URL(url).pathname.split('/').filter(Boolean).pop();
		return segment ? cleanFileName(decodeURIComponent(segment)) : undefined;
	} catch {
		return undefined;
	}
}

/**
 * The binary's MIME type: the host's Content-Type, unless it is a generic
 * octet-stream and the hint or the file's extension knows better.
 */
export function resolveMimeType(
	contentType: string | undefined,
	fileName: string | undefined,
	hints: DownloadHints,
): string {
	const base = contentType?.split(';')[0].trim().toLowerCase();
	if (base && /^[a-z0-9.+-]+\/[a-z0-9.+-]+$/.test(base) && !GENERIC_TYPES.has(base)) return base;
	return hints.mimeType || typeForFileName(fileName) || base || 'application/octet-stream';
}

/**
 * The binary's file name: the host's Content-Disposition, else the URL's last
 * path segment when it looks like a file, else the hint; an extension from the
 * MIME type is added when the name has none.
 */
export function resolveFileName(
	disposition: string | undefined,
	url: string,
	hints: DownloadHints,
	mimeType: (name: string | undefined) => string,
): string {
	const fromUrl = lastPathSegment(url);
	const name =
		fileNameFromDisposition(disposition) ??
		(fromUrl && extensionOf(fromUrl) ? fromUrl : undefined) ??
		cleanFileName(hints.fileName) ??
		fromUrl ??
		'file';
	if (extensionOf(name)) return name;
	const ext = extensionForType(mimeType(name));
	return ext ? `${name}.${ext}` : name;
}

/** A transfer that failed; `restartable` when a fresh GET may succeed. */
class DownloadAttemptError extends Error {
	constructor(
		message: string,
		readonly restartable: boolean,
		readonly received = 0,
		readonly retryAfterMs?: number,
		/** The low-level reason (an error code), kept out of the message: n8n replaces
		 * any message that names a Node.js error code with a generic text. */
		readonly detail?: string,
	) {
		super(message);
		this.name = 'DownloadAttemptError';
	}
}

// Socket reads arrive in pieces of 16-64 KiB; the binary store writes each piece
// it is given with its own call. Handing it 1 MiB at a time cuts those calls
// (and their thread-pool round trips) about twentyfold, for one copy per MiB.
const DOWNLOAD_WRITE_BYTES = 1024 * 1024;

type Stream = Parameters<IExecuteFunctions['helpers']['prepareBinaryData']>[0] & {
	destroy(error?: Error): void;
	destroyed?: boolean;
	[Symbol.asyncIterator](): AsyncIterator<Uint8Array>;
};

interface StreamResponse {
	statusCode: number;
	headers: Headers;
	body: Stream;
}

/**
 * The response body, counted on its way into n8n: a body that ends short of its
 * Content-Length fails instead of becoming a truncated file. Wrapped with the
 * body's own Readable class (community nodes may not import `stream`), which
 * keeps back-pressure: bytes are read only as fast as the binary store writes.
 */
function countedBody(
	body: Stream,
	expected: number | undefined,
	progress: { received: number },
	signal?: AbortSignal,
): Stream {
	const from = (body.constructor as { from?: (source: AsyncIterable<Uint8Array>) => Stream }).from;
	if (typeof from !== 'function') return body;
	async function* counted(): AsyncGenerator<Uint8Array> {
		let pending: Uint8Array[] = [];
		let pendingBytes = 0;
		for await (const chunk of body as AsyncIterable<Uint8Array>) {
			if (signal?.aborted) throw new FloraCancelledError();
			progress.received += chunk.byteLength;
			if (expected !== undefined && progress.received > expected) {
				throw new DownloadAttemptError(
					`the file host sent more than the announced ${expected} bytes`,
					true,
					progress.received,
				);
			}
			pending.push(chunk);
			pendingBytes += chunk.byteLength;
			if (pendingBytes >= DOWNLOAD_WRITE_BYTES) {
				yield pending.length === 1 ? pending[0] : Buffer.concat(pending, pendingBytes);
				pending = [];
				pendingBytes = 0;
			}
		}
		if (expected !== undefined && progress.received < expected) {
			throw new DownloadAttemptError(
				`the transfer ended after ${progress.received} of ${expected} bytes`,
				true,
				progress.received,
			);
		}
		if (pendingBytes > 0) yield Buffer.concat(pending, pendingBytes);
	}
	return from.call(body.constructor, counted());
}

async function requestFile(
	this: DownloadContext,
	url: string,
	signal?: AbortSignal,
): Promise<{ response: StreamResponse; url: string }> {
	for (let hop = 0; ; hop++) {
		const options: IHttpRequestOptions = {
			method: 'GET',
			url,
			// The stored bytes as they are: a compressed transfer would make
			// Content-Length count different bytes than the file's.
			headers: { 'Accept-Encoding': 'identity' },
			encoding: 'stream',
			returnFullResponse: true,
			ignoreHttpStatusErrors: true,
			// Followed below, so every hop is checked and the final address is known.
			disableFollowRedirect: true,
			sendCredentialsOnCrossOriginRedirect: false,
			timeout: DOWNLOAD_POLICY.idleTimeoutMs,
			abortSignal: signal,
		};
		const sent = await this.helpers.httpRequest(options).then(
			(response: StreamResponse) => ({ response }),
			(error: unknown) => ({ error }),
		);
		if ('error' in sent) {
			if (signal?.aborted) throw new FloraCancelledError();
			const code = networkErrorCode(sent.error);
			const reason = code ?? redactSecrets((sent.error as Error)?.message ?? String(sent.error));
			throw new DownloadAttemptError(
				'the file host could not be reached',
				code !== undefined,
				0,
				undefined,
				reason,
			);
		}
		const { response } = sent;
		const location = header(response.headers, 'location');
		if (REDIRECT_STATUS.has(response.statusCode) && location) {
			response.body?.destroy?.();
			const next = new URL(location, url);
			if (hop >= DOWNLOAD_POLICY.maxRedirects) {
				throw new DownloadAttemptError(
					`the file host redirected more than ${DOWNLOAD_POLICY.maxRedirects} times`,
					false,
				);
			}
			if (new URL(url).protocol === 'https:' && next.protocol !== 'https:') {
				throw new DownloadAttemptError(
					`the file host redirected to an insecure address (${next.origin}), which is not followed`,
					false,
				);
			}
			if (next.protocol !== 'https:' && next.protocol !== 'http:') {
				throw new DownloadAttemptError(
					`the file host redirected to a ${next.protocol} address`,
					false,
				);
			}
			url = next.toString();
			continue;
		}
		if (response.statusCode >= 200 && response.statusCode < 300) return { response, url };
		response.body?.destroy?.();
		const retryAfter =
			response.statusCode === 429 || response.statusCode === 503
				? parseRetryAfter(header(response.headers, 'retry-after'))
				: undefined;
		throw new DownloadAttemptError(
			`the file host answered HTTP ${response.statusCode}${
				response.statusCode === 403 || response.statusCode === 410
					? ' (a signed link may have expired: get the asset or run again for a fresh one)'
					: ''
			}`,
			RETRYABLE_STATUS.has(response.statusCode),
			0,
			retryAfter === undefined ? undefined : clampRetryAfter(retryAfter),
		);
	}
}

async function downloadOnce(
	this: DownloadContext,
	url: string,
	hints: DownloadHints,
	signal: AbortSignal | undefined,
	progress: { received: number },
): Promise<IBinaryData> {
	const { response, url: finalUrl } = await requestFile.call(this, url, signal);
	const lengthHeader = header(response.headers, 'content-length');
	const expected =
		lengthHeader !== undefined && /^\d+$/.test(lengthHeader.trim())
			? Number(lengthHeader)
			: undefined;
	const contentType = header(response.headers, 'content-type');
	const mimeFor = (name: string | undefined) => resolveMimeType(contentType, name, hints);
	const fileName = resolveFileName(
		header(response.headers, 'content-disposition'),
		finalUrl,
		hints,
		mimeFor,
	);
	const mimeType = mimeFor(fileName);

	const body = countedBody(response.body, expected, progress, signal);
	const onAbort = () => {
		body.destroy(new FloraCancelledError());
		response.body.destroy(new FloraCancelledError());
	};
	signal?.addEventListener('abort', onAbort, { once: true });
	const stored = await this.helpers.prepareBinaryData(body, fileName, mimeType).then(
		(binary) => ({ binary }),
		(error: unknown) => ({ error }),
	);
	signal?.removeEventListener('abort', onAbort);
	if (!response.body.destroyed) response.body.destroy();

	if ('error' in stored) throw transferFailure(stored.error, signal, progress.received, expected);
	// The store's own count, for bodies the wrapper could not see.
	const { binary } = stored;
	const bytes = typeof binary.bytes === 'number' ? binary.bytes : progress.received;
	if (expected !== undefined && bytes !== expected) {
		throw new DownloadAttemptError(
			`the transfer ended after ${bytes} of ${expected} bytes`,
			true,
			bytes,
		);
	}
	return binary;
}

/** Why storing the body failed: cancelled, the byte-count guard, or a broken connection. */
function transferFailure(
	error: unknown,
	signal: AbortSignal | undefined,
	received: number,
	expected: number | undefined,
): Error {
	if (signal?.aborted || error instanceof FloraCancelledError) return new FloraCancelledError();
	if (error instanceof DownloadAttemptError) return error;
	const cause = (error as { cause?: unknown })?.cause;
	if (cause instanceof DownloadAttemptError) return cause;
	const reason =
		networkErrorCode(error) ?? redactSecrets((error as Error)?.message ?? String(error));
	return new DownloadAttemptError(
		`the transfer broke off after ${received}${expected !== undefined ? ` of ${expected}` : ''} bytes`,
		true,
		received,
		undefined,
		reason,
	);
}

/**
 * Downloads a file from a file host (never FLORA's API: no key is sent) into
 * n8n's binary store, streamed. Retries unreachable hosts, 429 and 5xx answers
 * with the API's backoff, and restarts a transfer that broke off mid-way from
 * the first byte a bounded number of times; a partial file is never returned.
 * Messages name the URL without its query string's values (signed links).
 */
export async function downloadToBinary(
	this: DownloadContext,
	itemIndex: number,
	url: string,
	hints: DownloadHints = {},
): Promise<IBinaryData> {
	const signal = cancelSignalOf(this);
	const started = Date.now();
	let restarts = 0;
	for (let attempt = 1; ; attempt++) {
		if (signal?.aborted) throw new FloraCancelledError();
		const progress = { received: 0 };
		const outcome = await downloadOnce.call(this, url, hints, signal, progress).then(
			(binary) => ({ binary }),
			(error: unknown) => ({ error }),
		);
		if ('binary' in outcome) return outcome.binary;
		if (outcome.error instanceof FloraCancelledError) throw new FloraCancelledError();
		const failure =
			outcome.error instanceof DownloadAttemptError
				? outcome.error
				: new DownloadAttemptError(
						'the file could not be stored',
						false,
						0,
						undefined,
						redactSecrets((outcome.error as Error)?.message ?? String(outcome.error)),
					);
		const midway = failure.received > 0;
		if (midway) restarts++;
		const withinBudget =
			attempt < RETRY_POLICY.maxAttempts && Date.now() - started < RETRY_POLICY.totalBudgetMs;
		if (
			failure.restartable &&
			withinBudget &&
			(!midway || restarts <= DOWNLOAD_POLICY.maxRestarts)
		) {
			await waitFor(failure.retryAfterMs ?? backoffDelay(attempt), signal);
			continue;
		}
		throw itemError(
			this,
			itemIndex,
			`Could not download the file from ${redactUrl(url)}: ${failure.message}`,
			[
				`${attempt} attempt${attempt === 1 ? '' : 's'}; the last one received ${failure.received} bytes. No partial file was kept.`,
				failure.detail ? `Cause: ${failure.detail}.` : '',
				failure.restartable ? 'The file host kept failing; try again later.' : '',
			]
				.filter(Boolean)
				.join(' '),
		);
	}
}
