import type { IDataObject, IExecuteFunctions, IHttpRequestOptions } from 'n8n-workflow';

import { parseJsonBody } from '../helpers/json';
import { redactSecrets } from '../helpers/redact';

// The bytes' journey to the upload host (ImageKit behind FLORA's signed upload):
// a multipart POST of the issued form fields, verbatim and in order, then the
// file last, with an exact Content-Length and no FLORA credentials.

/** An upload form as FLORA issues it, normalised from snake_case or camelCase. */
export interface UploadForm {
	url: string;
	/**
	 * POST: ImageKit's multipart form. PUT: a presigned `upload_url` that takes
	 * the raw bytes, FLORA's fallback when a reservation has no `upload` form.
	 */
	method: 'POST' | 'PUT';
	fileField: string;
	fields: Array<[string, string]>;
	/** Milliseconds since the epoch, when FLORA says. */
	expiresAt?: number;
}

/** Where the file's bytes come from; `open` can be called again for a fresh stream. */
export interface UploadSource {
	fileName: string;
	contentType: string;
	size: number;
	/** A stream from n8n's binary store, or the bytes themselves when n8n keeps them inline. */
	open(): Promise<AsyncIterable<Uint8Array> | Uint8Array>;
}

export interface UploadResult {
	statusCode: number;
	body: IDataObject;
	url: string;
}

export class UploadFailedError extends Error {
	constructor(
		message: string,
		readonly statusCode: number | undefined,
		/** False when a fresh form cannot help (the source itself is broken). */
		readonly retryable: boolean,
	) {
		super(message);
		this.name = 'UploadFailedError';
	}
}

// 1 MiB reads: large enough that per-chunk overhead vanishes at loopback speed,
// small enough that memory stays flat whatever the file size.
export const UPLOAD_CHUNK_BYTES = 1024 * 1024;
const UPLOAD_IDLE_TIMEOUT_MS = 120_000;
const MAX_REDIRECTS = 3;

function asFieldEntries(fields: unknown): Array<[string, string]> {
	if (!fields || typeof fields !== 'object') return [];
	if (Array.isArray(fields)) {
		return fields
			.filter((f) => Array.isArray(f) && f.length >= 2)
			.map((f) => [String(f[0]), String(f[1])]);
	}
	return Object.entries(fields as Record<string, unknown>).map(([k, v]) => [
		k,
		typeof v === 'string' ? v : JSON.stringify(v),
	]);
}

/**
 * Reads the upload form from a reservation (`POST /assets` or `/retry`).
 * FLORA sends `upload.{url, file_field, form_fields}`; one docs example uses
 * `fileField`/`formFields`, so both are read. Without a form, `upload_url` is
 * used as the target with no extra fields.
 */
export function readUploadForm(reservation: IDataObject): UploadForm | undefined {
	const upload = (reservation.upload ?? reservation.uploadForm) as IDataObject | undefined;
	const expiresRaw = reservation.expires_at ?? reservation.expiresAt;
	const expiresAt = typeof expiresRaw === 'string' ? Date.parse(expiresRaw) : undefined;
	const expires = Number.isNaN(expiresAt) ? undefined : expiresAt;
	if (upload && typeof upload === 'object' && typeof upload.url === 'string') {
		return {
			url: upload.url,
			method: 'POST',
			fileField: String(upload.file_field ?? upload.fileField ?? 'file'),
			fields: asFieldEntries(upload.form_fields ?? upload.formFields),
			expiresAt: expires,
		};
	}
	const uploadUrl = reservation.upload_url ?? reservation.uploadUrl;
	if (typeof uploadUrl === 'string' && uploadUrl.trim()) {
		// The newer SDK sends the upload policy serialized as JSON, {"url","fields"}:
		// a multipart POST like `upload`. SDK 0.10 sends a presigned URL for a raw PUT.
		const policy = uploadUrl.trim().startsWith('{') ? parseJsonBody(uploadUrl.trim()) : undefined;
		if (policy && typeof policy === 'object') {
			const { url, fields, file_field, fileField } = policy as IDataObject;
			if (typeof url !== 'string' || !url) return undefined;
			return {
				url,
				method: 'POST',
				fileField: String(file_field ?? fileField ?? 'file'),
				fields: asFieldEntries(fields ?? (policy as IDataObject).form_fields),
				expiresAt: expires,
			};
		}
		return { url: uploadUrl, method: 'PUT', fileField: 'file', fields: [], expiresAt: expires };
	}
	return undefined;
}

/**
 * A spec-shaped FormData (entries, iteration, `[Symbol.toStringTag]`), the
 * protocol that n8n's HTTP client (axios) streams with a computed Content-Length
 * and a generated boundary. A hand-rolled one because community nodes may not
 * import `form-data` or `stream`, and Node 22+'s own FormData refuses a file
 * part that is not held in memory.
 */
class StreamingForm {
	private readonly parts: Array<[string, string | FilePart]> = [];

	append(name: string, value: string | FilePart) {
		this.parts.push([name, value]);
	}

	*entries(): IterableIterator<[string, string | FilePart]> {
		yield* this.parts;
	}

	[Symbol.iterator]() {
		return this.entries();
	}

	get [Symbol.toStringTag]() {
		return 'FormData';
	}
}

/** A File-shaped part whose bytes are read lazily, so nothing is held in memory. */
class FilePart {
	constructor(
		readonly name: string,
		readonly type: string,
		readonly size: number,
		private readonly content: AsyncIterable<Uint8Array> | Uint8Array,
	) {}

	get [Symbol.toStringTag]() {
		return 'File';
	}

	async *stream(): AsyncGenerator<Uint8Array> {
		let sent = 0;
		const chunks = this.content instanceof Uint8Array ? [this.content] : this.content;
		for await (const chunk of chunks) {
			sent += chunk.byteLength;
			if (sent > this.size) {
				throw new UploadFailedError(
					`The binary data is larger than its recorded size of ${this.size} bytes; the upload was stopped.`,
					undefined,
					false,
				);
			}
			yield chunk;
		}
		if (sent !== this.size) {
			throw new UploadFailedError(
				`The binary data ended after ${sent} of its recorded ${this.size} bytes; the upload was stopped.`,
				undefined,
				false,
			);
		}
	}
}

function buildForm(
	fields: Array<[string, string]>,
	fileField: string,
	source: UploadSource,
	content: AsyncIterable<Uint8Array> | Uint8Array,
) {
	const body = new StreamingForm();
	for (const [name, value] of fields) body.append(name, value);
	body.append(fileField, new FilePart(source.fileName, source.contentType, source.size, content));
	return body;
}

/** A multipart body ready to send once, and how to release its file afterwards. */
export interface OpenedMultipart {
	/** FormData-shaped: n8n's HTTP client streams it with an exact Content-Length. */
	form: FormData;
	/** Ends the file's stream, read or not; call it after every attempt. */
	close(): void;
}

/**
 * Opens a multipart body of `fields` in order, then the file under `fileField`
 * (with its file name and Content-Type), streamed from n8n's binary store.
 * A stream is read once: open a fresh body for every attempt.
 */
export async function openMultipart(
	fields: Array<[string, string]>,
	fileField: string,
	source: UploadSource,
): Promise<OpenedMultipart> {
	const content = await source.open();
	return {
		form: buildForm(fields, fileField, source, content) as unknown as FormData,
		close: () => closeContent(content),
	};
}

function describeHostError(body: unknown): string {
	if (body && typeof body === 'object') {
		const { message, help } = body as { message?: unknown; help?: unknown };
		if (typeof message === 'string') {
			return typeof help === 'string' && help ? `${message} (${help})` : message;
		}
	}
	if (typeof body === 'string' && body.trim()) return body.trim().slice(0, 300);
	return 'no details';
}

/**
 * Sends one upload. The form is single-use: this never resends it after a
 * failure; the caller asks FLORA for a fresh form instead.
 */
export async function sendToUploadHost(
	this: IExecuteFunctions,
	form: UploadForm,
	source: UploadSource,
	signal?: AbortSignal,
): Promise<UploadResult> {
	let url = form.url;
	for (let hop = 0; ; hop++) {
		const target = new URL(url);
		const content = await source.open();
		const options: IHttpRequestOptions = {
			method: form.method,
			url,
			...(form.method === 'PUT'
				? {
						// A File-shaped body: the HTTP client streams it with its size as
						// Content-Length, through the same byte-count guard as the POST path.
						body: new FilePart(
							source.fileName,
							source.contentType,
							source.size,
							content,
						) as unknown as Buffer,
						headers: {
							'Content-Type': source.contentType,
							'Content-Length': String(source.size),
						},
					}
				: {
						// The FormData protocol is what matters here, not the global class.
						body: buildForm(form.fields, form.fileField, source, content) as unknown as FormData,
					}),
			returnFullResponse: true,
			ignoreHttpStatusErrors: true,
			// Redirects are followed below, by hand: the HTTP client's own redirect
			// handling keeps a copy of the whole body in memory to replay it.
			disableFollowRedirect: true,
			sendCredentialsOnCrossOriginRedirect: false,
			timeout: UPLOAD_IDLE_TIMEOUT_MS,
			abortSignal: signal,
		};

		type Response = { statusCode: number; headers: IDataObject; body: unknown };
		const sent = await this.helpers
			.httpRequest(options)
			.then(
				(response: Response) => ({ response }),
				(error: unknown) => ({ error }),
			)
			// The host may answer before reading everything, a redirect needs a fresh
			// stream, a failure or a cancel may leave it half read: close it each time.
			.finally(() => closeContent(content));
		if ('error' in sent) {
			const { error } = sent;
			const cause = (error as { cause?: unknown })?.cause;
			// The byte-count guard's own error, surfaced through the HTTP client.
			if (error instanceof UploadFailedError) throw error;
			if (cause instanceof UploadFailedError) throw cause;
			throw new UploadFailedError(
				`The upload to ${target.host} failed: ${redactSecrets((error as Error)?.message ?? String(error))}`,
				undefined,
				true,
			);
		}
		const { response } = sent;

		const location = response.headers?.location;
		if ([307, 308].includes(response.statusCode) && typeof location === 'string') {
			const next = new URL(location, url);
			if (hop >= MAX_REDIRECTS) {
				throw new UploadFailedError(
					`The upload host redirected more than ${MAX_REDIRECTS} times.`,
					response.statusCode,
					true,
				);
			}
			if (target.protocol === 'https:' && next.protocol !== 'https:') {
				throw new UploadFailedError(
					`The upload host redirected to an insecure address (${next.origin}); the upload was not sent there.`,
					response.statusCode,
					false,
				);
			}
			url = next.toString();
			continue;
		}

		const body = parseJsonBody(response.body);
		if (response.statusCode >= 200 && response.statusCode < 300) {
			return {
				statusCode: response.statusCode,
				body: (body && typeof body === 'object' ? body : { response: body }) as IDataObject,
				url,
			};
		}
		const hostMessage = describeHostError(body);
		throw new UploadFailedError(
			`The upload host ${target.host} answered ${response.statusCode}: ${redactSecrets(hostMessage)}`,
			response.statusCode,
			!REFUSALS.has(response.statusCode) || FORM_PROBLEM.test(hostMessage),
		);
	}
}

// Answers about the file itself (bad request, too large, unsupported type):
// a fresh form would be refused the same way. Except a 400 about the form's
// signature or expiry (ImageKit: "… Request a new signature."), which a fresh
// form does cure.
const REFUSALS = new Set([400, 413, 415]);
const FORM_PROBLEM = /new signature|expired|invalid token/i;

/** Ends a stream from n8n's binary store, read or not, so its file handle is released. */
function closeContent(content: AsyncIterable<Uint8Array> | Uint8Array) {
	const destroy = (content as { destroy?: unknown }).destroy;
	if (typeof destroy === 'function') destroy.call(content);
}

/**
 * Opens the item's binary as an upload source: streamed from n8n's binary store
 * when the data has an `id` (filesystem, s3, database modes), from memory only
 * when n8n keeps it inline (default mode), where it already is in memory.
 */
export async function binaryUploadSource(
	this: IExecuteFunctions,
	itemIndex: number,
	propertyName: string,
	binary: { id?: string; fileName?: string; mimeType?: string },
	names: { fileName: string; contentType: string },
): Promise<UploadSource> {
	if (binary.id) {
		const binaryDataId = binary.id;
		const { fileSize } = await this.helpers.getBinaryMetadata(binaryDataId);
		return {
			...names,
			// NaN when the store recorded no size; the caller says so.
			size: fileSize === undefined || fileSize === null ? Number.NaN : Number(fileSize),
			open: async () => await this.helpers.getBinaryStream(binaryDataId, UPLOAD_CHUNK_BYTES),
		};
	}
	// Decoded again on open, so a batch does not hold every item's copy at once.
	const { length } = await this.helpers.getBinaryDataBuffer(itemIndex, propertyName);
	return {
		...names,
		size: length,
		open: async () => await this.helpers.getBinaryDataBuffer(itemIndex, propertyName),
	};
}
