import { createHash, randomBytes, type Hash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dropConnection, drain, headerValue, sendJson, sleep, track, type Reply } from './http';
import { DimensionSniffer } from './media';
import { boundaryOf, MultipartError, MultipartParser, type PartInfo } from './multipart';
import type { SimContext, UploadForm, UploadResult } from './store';
import type { Origin, RecordedRequest, RecordedUpload, ViolationKind } from './types';

export const UPLOAD_PATH = '/api/v1/files/upload';
export const PUT_PATH_PREFIX = '/api/v1/files/put/';
const HELP = 'For support kindly contact us at support@imagekit.io .';
/** How long to wait for missing body bytes after the closing boundary before calling Content-Length wrong. */
const STALL_MS = 300;

/** Reads a multipart body as a stream: fields are collected, the file is hashed and counted. */
export class FormReader {
	readonly fields: Array<[string, string]> = [];
	readonly fieldsAfterFile: string[] = [];
	fileParts = 0;
	file?: { field: string; fileName?: string; contentType?: string };
	size = 0;
	error?: string;
	private readonly hash: Hash = createHash('sha256');
	private digest?: string;
	private readonly sniffer = new DimensionSniffer();
	private current: 'field' | 'file' | 'extra' | null = null;
	private fieldName = '';
	private fieldChunks: Buffer[] = [];
	private fieldBytes = 0;
	readonly parser: MultipartParser;

	private readonly kept: Buffer[] = [];

	constructor(
		boundary: string,
		private readonly fileField: string,
		private readonly onField?: (name: string, value: string) => void,
		private readonly maxFieldBytes = 1024 * 1024,
		/** Keep the file's bytes while it is no larger than this (direct creates). */
		private readonly keepFileUpTo = 0,
	) {
		this.parser = new MultipartParser(boundary, {
			onPartBegin: (p) => this.begin(p),
			onPartData: (c) => this.data(c),
			onPartEnd: () => this.end(),
		});
	}

	private begin(p: PartInfo): void {
		if (p.filename !== undefined || p.name === this.fileField) {
			this.fileParts++;
			if (this.fileParts === 1) {
				this.file = { field: p.name ?? '', fileName: p.filename, contentType: p.contentType };
				this.current = 'file';
			} else this.current = 'extra';
			return;
		}
		if (this.fileParts > 0) this.fieldsAfterFile.push(p.name ?? '(unnamed)');
		this.current = 'field';
		this.fieldName = p.name ?? '';
		this.fieldChunks = [];
		this.fieldBytes = 0;
	}

	private data(chunk: Buffer): void {
		if (this.current === 'file') {
			this.hash.update(chunk);
			this.sniffer.push(chunk);
			this.size += chunk.length;
			if (this.size <= this.keepFileUpTo) this.kept.push(Buffer.from(chunk));
		} else if (this.current === 'field') {
			this.fieldBytes += chunk.length;
			if (this.fieldBytes > this.maxFieldBytes)
				throw new MultipartError(`field ${this.fieldName} is too large`);
			this.fieldChunks.push(Buffer.from(chunk));
		}
	}

	private end(): void {
		if (this.current === 'field') {
			const value = Buffer.concat(this.fieldChunks).toString('utf8');
			this.fields.push([this.fieldName, value]);
			this.onField?.(this.fieldName, value);
		}
		this.current = null;
	}

	write(chunk: Buffer): void {
		if (this.error) return;
		try {
			this.parser.write(chunk);
		} catch (e) {
			this.error = e instanceof Error ? e.message : String(e);
		}
	}

	/** The file's bytes, when kept (see `keepFileUpTo`). */
	fileBytes(): Buffer | undefined {
		return this.file && this.size <= this.keepFileUpTo ? Buffer.concat(this.kept) : undefined;
	}

	get sha256(): string {
		this.digest ??= this.hash.digest('hex');
		return this.digest;
	}

	result(): UploadResult {
		const dims = this.file?.contentType?.startsWith('image/')
			? this.sniffer.dimensions()
			: undefined;
		return {
			size: this.size,
			sha256: this.sha256,
			contentType: this.file?.contentType,
			fileName: this.file?.fileName,
			width: dims?.width ?? null,
			height: dims?.height ?? null,
		};
	}
}

export type StreamEnd = 'end' | 'aborted' | 'reset' | 'stalled';

/**
 * Feeds the request body to `onChunk`. Stops early for a reset fault (after `resetAt` bytes,
 * the socket is then destroyed by the caller) and when the body stalls after `isDone()` turned
 * true with fewer bytes than Content-Length announced.
 */
export function streamBody(
	req: IncomingMessage,
	rec: RecordedRequest,
	onChunk: (chunk: Buffer) => void,
	opts: { resetAt?: number; contentLength?: number; isDone?: () => boolean },
): Promise<{ how: StreamEnd; received: number }> {
	return new Promise((resolve) => {
		let received = 0;
		let settled = false;
		let stall: NodeJS.Timeout | undefined;
		const finish = (how: StreamEnd) => {
			if (settled) return;
			settled = true;
			if (stall) clearTimeout(stall);
			req.removeListener('data', onData);
			if (how !== 'end') req.pause();
			resolve({ how, received });
		};
		const onData = (chunk: Buffer) => {
			rec.bodyBytes += chunk.length;
			if (opts.resetAt !== undefined && received + chunk.length >= opts.resetAt) {
				const take = opts.resetAt - received;
				if (take > 0) onChunk(chunk.subarray(0, take));
				received = opts.resetAt;
				finish('reset');
				return;
			}
			received += chunk.length;
			onChunk(chunk);
			if (
				!stall &&
				opts.isDone?.() &&
				opts.contentLength !== undefined &&
				received < opts.contentLength
			) {
				stall = setTimeout(() => finish('stalled'), STALL_MS);
			}
		};
		if (opts.resetAt === 0) {
			finish('reset');
			return;
		}
		req.on('data', onData);
		req.on('end', () => finish(opts.resetAt !== undefined ? 'reset' : 'end'));
		req.on('close', () => finish(req.complete ? 'end' : 'aborted'));
	});
}

function imageKitError(status: number, message: string) {
	return { status, body: { message, help: HELP } };
}

export function createUploadHandler(ctx: SimContext, origin: Origin) {
	return (req: IncomingMessage, res: ServerResponse) => {
		handleUpload(ctx, origin, req, res).catch((err) => {
			ctx.log(`upload handler error: ${err instanceof Error ? err.stack : String(err)}`);
			if (!res.headersSent && !res.destroyed) {
				res.writeHead(500, { 'content-type': 'application/json' });
				res.end(JSON.stringify({ message: 'Internal simulator error', help: HELP }));
			}
		});
	};
}

async function handleUpload(
	ctx: SimContext,
	origin: Origin,
	req: IncomingMessage,
	res: ServerResponse,
) {
	const url = new URL(req.url ?? '/', 'http://upload.invalid');
	const path = url.pathname;
	const method = req.method ?? 'GET';
	const rec = ctx.record.startRequest(origin, req, url, path);
	track(rec, res);
	if (req.headers.authorization !== undefined) {
		ctx.record.violation(
			origin,
			'authorization-on-upload',
			`${method} ${path} on the ${origin} origin carried an Authorization header`,
			rec.seq,
		);
	}
	const fault = origin === 'upload' ? ctx.faults.take('upload', method, path) : undefined;
	if (fault) rec.fault = fault.kind;
	let up: RecordedUpload | undefined;
	const respond = async (reply: Reply): Promise<void> => {
		if (fault?.kind === 'delay') await sleep(fault.ms);
		if (up) up.status = fault?.kind === 'lostResponse' ? 'lost' : reply.status;
		if (fault?.kind === 'lostResponse') return dropConnection(req, rec, 'lost');
		sendJson(res, rec, reply);
	};

	if (fault?.kind === 'redirect') {
		// The body is drained, not parsed: the redirected request has not used the token.
		await drain(req, rec);
		return respond({
			status: fault.status ?? 307,
			headers: { location: `${ctx.origins.redirect}${req.url ?? '/'}` },
			body: { message: 'Temporary redirect' },
		});
	}

	const put = path.startsWith(PUT_PATH_PREFIX);
	if (path !== UPLOAD_PATH && !put) {
		if (fault?.kind === 'reset') return dropConnection(req, rec, 'reset');
		await drain(req, rec);
		return respond(imageKitError(404, 'Not found.'));
	}

	const contentLengthHeader = headerValue(req, 'content-length');
	const contentLength = contentLengthHeader !== undefined ? Number(contentLengthHeader) : undefined;
	const chunked = /chunked/i.test(headerValue(req, 'transfer-encoding') ?? '');
	up = {
		origin,
		requestSeq: rec.seq,
		method,
		token: '',
		fields: [],
		size: 0,
		sha256: '',
		contentLength,
		chunked,
		ok: false,
		status: 'pending',
	};
	ctx.record.uploads.push(up);
	const violate = (kind: ViolationKind, detail: string) =>
		ctx.record.violation(origin, kind, detail, rec.seq);
	const errors: Array<{ status: number; message: string }> = [];
	const fail = (status: number, message: string) => errors.push({ status, message });

	const expectedMethod = put ? 'PUT' : 'POST';
	if (method !== expectedMethod) {
		await drain(req, rec);
		up.error = `method ${method} not allowed`;
		return respond({
			...imageKitError(405, `Method ${method} is not allowed here; use ${expectedMethod}.`),
			headers: { allow: expectedMethod },
		});
	}

	if (chunked || contentLength === undefined) {
		violate(
			'chunked-without-content-length',
			'upload sent without a Content-Length header (chunked)',
		);
		fail(411, 'A Content-Length header is required.');
	}
	if (contentLength !== undefined && contentLength > ctx.opts.uploadMaxBytes) {
		violate(
			'upload-too-large',
			`Content-Length ${contentLength} exceeds ${ctx.opts.uploadMaxBytes}`,
		);
		fail(413, 'The file exceeds the maximum upload size of this account.');
	}

	// Single use: the token is spent the moment it is seen, whatever happens next.
	let form: UploadForm | undefined;
	let tokenSeen = false;
	const seeToken = (token: string) => {
		if (tokenSeen) return;
		tokenSeen = true;
		up.token = token;
		form = ctx.store.forms.get(token);
		if (!form) {
			violate('unknown-token', `token ${token.slice(0, 8)}… was never issued`);
			fail(400, 'Your request contains an invalid token. Request a new signature.');
			return;
		}
		up.assetId = form.assetId;
		if (form.state === 'used') {
			violate('token-reused', `token of ${form.assetId} was already used`);
			fail(
				400,
				'This token has already been used. A token can be used only once; request a new signature.',
			);
		} else if (form.state === 'superseded') {
			violate('unknown-token', `token of ${form.assetId} was replaced by a newer form (retry)`);
			fail(400, 'Your request contains an invalid token. Request a new signature.');
		} else form.state = 'used';
	};

	const resetAt = fault?.kind === 'reset' ? (fault.afterBytes ?? 0) : undefined;
	let reader: FormReader | undefined;
	let putHash: Hash | undefined;
	let putSniffer: DimensionSniffer | undefined;
	let putSize = 0;
	let end: { how: StreamEnd; received: number };

	if (put) {
		const token = decodeURIComponent(path.slice(PUT_PATH_PREFIX.length));
		up.fields = [...url.searchParams];
		up.fileField = undefined;
		up.partContentType = headerValue(req, 'content-type');
		seeToken(token);
		putHash = createHash('sha256');
		putSniffer = new DimensionSniffer();
		const h = putHash;
		const s = putSniffer;
		end = await streamBody(
			req,
			rec,
			(c) => {
				h.update(c);
				s.push(c);
				putSize += c.length;
			},
			{ resetAt, contentLength },
		);
		up.size = putSize;
		up.sha256 = h.digest('hex');
	} else {
		const boundary = boundaryOf(headerValue(req, 'content-type'));
		if (!boundary) {
			if (resetAt !== undefined) return dropConnection(req, rec, 'reset');
			await drain(req, rec);
			violate('not-multipart', `content-type ${headerValue(req, 'content-type') ?? '(none)'}`);
			up.error = 'not multipart/form-data';
			return respond(imageKitError(400, 'The request must be multipart/form-data.'));
		}
		const r = new FormReader(boundary, 'file', (name, value) => {
			if (name === 'token') seeToken(value);
		});
		reader = r;
		end = await streamBody(req, rec, (c) => r.write(c), {
			resetAt,
			contentLength,
			isDone: () => r.parser.finished,
		});
		up.fields = r.fields;
		up.fileField = r.file?.field;
		up.fileName = r.file?.fileName;
		up.partContentType = r.file?.contentType;
		up.size = r.size;
		up.sha256 = r.sha256;
	}

	if (end.how === 'reset') {
		up.status = 'reset';
		up.error = `connection reset by fault after ${end.received} bytes`;
		return dropConnection(req, rec, 'reset');
	}
	if (end.how === 'aborted') {
		up.status = 'aborted';
		up.error = `client aborted after ${end.received} bytes`;
		return;
	}
	if (end.how === 'stalled') {
		violate(
			'content-length-mismatch',
			`Content-Length ${contentLength} but the body ended after ${end.received} bytes (closing boundary seen)`,
		);
		up.error = 'content-length mismatch';
		// The rest of the announced body never comes: answer, then close the connection.
		res.on('finish', () => req.socket.destroy());
		return respond({
			...imageKitError(400, 'The request body is shorter than its Content-Length.'),
			headers: { connection: 'close' },
		});
	}

	if (reader) {
		if (reader.error) {
			violate('malformed-multipart', reader.error);
			fail(400, `Malformed multipart body: ${reader.error}`);
		} else if (!reader.parser.finished) {
			if (contentLength !== undefined) {
				violate(
					'content-length-mismatch',
					`body ended at Content-Length ${contentLength} before the closing boundary (Content-Length too small, or body truncated)`,
				);
			} else violate('malformed-multipart', 'body ended before the closing boundary');
			fail(400, 'Malformed multipart body: missing closing boundary.');
		}
		if (!tokenSeen) {
			violate('unknown-token', 'no token field in the form');
			fail(
				400,
				'Missing token for upload. The token parameter is required for client-side uploads.',
			);
		}
	} else if (contentLength !== undefined && end.received !== contentLength) {
		violate('content-length-mismatch', `Content-Length ${contentLength}, received ${end.received}`);
		fail(400, 'The request body does not match its Content-Length.');
	}

	if (form && form.expireUnix * 1000 < Date.now()) {
		violate('expired-form', `form of ${form.assetId} expired at ${form.expiresAt}`);
		fail(400, 'The upload request has expired. Request a new signature.');
	}
	if (form) {
		const diff = diffFields(form.fields, up.fields);
		if (diff) {
			violate('fields-altered', diff);
			fail(
				400,
				'The upload form fields do not match the signed request. Send every form field verbatim, in order.',
			);
		}
	}
	if (reader) {
		if (reader.fieldsAfterFile.length) {
			violate('file-not-last', `fields after the file part: ${reader.fieldsAfterFile.join(', ')}`);
			fail(400, 'Form fields sent after the file are ignored; send every field before the file.');
		}
		if (!reader.file) {
			violate('missing-file', 'no file part');
			fail(400, 'Missing file parameter for upload.');
		} else {
			if (reader.fileParts > 1) violate('fields-altered', `${reader.fileParts} file parts`);
			if (form && reader.file.field !== form.fileField) {
				violate(
					'fields-altered',
					`file sent as part "${reader.file.field}", expected "${form.fileField}"`,
				);
				fail(400, `Missing file parameter for upload (expected part "${form.fileField}").`);
			}
			if (reader.file.fileName === undefined) {
				violate('missing-filename', `file part "${reader.file.field}" has no filename`);
				fail(400, 'The file part must carry a filename.');
			}
			if (reader.file.contentType === undefined) {
				violate(
					'missing-part-content-type',
					`file part "${reader.file.field}" has no Content-Type`,
				);
				fail(400, 'The file part must carry a Content-Type.');
			}
		}
	}
	if (up.size === 0 && !errors.length) fail(400, 'The file is empty.');

	if (fault?.kind === 'status') {
		up.error = `injected status ${fault.status}`;
		return respond({
			status: fault.status,
			body: fault.body ?? { message: fault.message ?? 'Injected upload failure.', help: HELP },
			headers: fault.retryAfter !== undefined ? { 'retry-after': fault.retryAfter } : undefined,
		});
	}
	if (errors.length) {
		up.error = errors[0].message;
		return respond(imageKitError(errors[0].status, errors[0].message));
	}

	// Accepted.
	const result: UploadResult = reader
		? reader.result()
		: {
				size: putSize,
				sha256: up.sha256,
				contentType: up.partContentType,
				fileName: undefined,
				width: null,
				height: null,
			};
	if (!reader && putSniffer && result.contentType?.startsWith('image/')) {
		const d = putSniffer.dimensions();
		result.width = d?.width ?? null;
		result.height = d?.height ?? null;
	}
	const f = form!;
	f.result = result;
	const asset = ctx.store.assets.get(f.assetId);
	if (asset && asset.form === f) ctx.store.applyUpload(asset, result);
	up.ok = true;

	if (put) {
		return respond({ status: 200, headers: { etag: `"${up.sha256.slice(0, 32)}"` } });
	}
	const fileName = up.fields.find(([k]) => k === 'fileName')?.[1] ?? result.fileName ?? f.assetId;
	const folder = up.fields.find(([k]) => k === 'folder')?.[1] ?? '';
	const filePath = `${folder}/${fileName}`.replace(/\/+/g, '/');
	const fileId = randomBytes(12).toString('hex');
	const isImage = result.contentType?.startsWith('image/') ?? false;
	return respond({
		status: 200,
		body: {
			fileId,
			name: fileName,
			size: result.size,
			versionInfo: { id: fileId, name: 'Version 1' },
			filePath,
			url: asset?.url ?? `https://ik.imagekit.io/flora-sim${filePath}`,
			fileType: isImage ? 'image' : 'non-image',
			...(isImage ? { height: result.height, width: result.width } : {}),
			thumbnailUrl: `https://ik.imagekit.io/flora-sim/tr:n-ik_ml_thumbnail${filePath}`,
			AITags: null,
		},
	});
}

/** Describes how the received fields differ from the issued ones, or undefined when identical. */
export function diffFields(
	issued: Array<[string, string]>,
	received: Array<[string, string]>,
): string | undefined {
	const same =
		issued.length === received.length &&
		issued.every(([k, v], i) => received[i][0] === k && received[i][1] === v);
	if (same) return undefined;
	const problems: string[] = [];
	const issuedMap = new Map(issued);
	const seen = new Set<string>();
	for (const [k, v] of received) {
		if (seen.has(k)) problems.push(`duplicate ${k}`);
		seen.add(k);
		if (!issuedMap.has(k)) problems.push(`extra ${k}`);
		else if (issuedMap.get(k) !== v) problems.push(`changed ${k}`);
	}
	for (const [k] of issued) if (!seen.has(k)) problems.push(`missing ${k}`);
	if (!problems.length) {
		problems.push(
			`out of order: got ${received.map(([k]) => k).join(',')}, issued ${issued.map(([k]) => k).join(',')}`,
		);
	}
	return problems.join('; ');
}
