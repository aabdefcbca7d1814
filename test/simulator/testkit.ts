/** Small raw-socket HTTP client and multipart builder for the simulator's own tests. */
import { createHash, randomBytes } from 'node:crypto';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import type { Simulator } from './types';

export interface Res {
	status: number;
	headers: IncomingHttpHeaders;
	text: string;
	// eslint-disable-next-line @typescript-eslint/no-explicit-any
	json: any;
}

export interface ReqOptions {
	method?: string;
	headers?: Record<string, string | number>;
	body?: string | Buffer;
	/** Send the body with Transfer-Encoding: chunked (no Content-Length), in pieces of this size. */
	chunked?: number;
	/** Generated body: `size` bytes produced by `chunk(i)` after `head` and before `tail`. */
	stream?: { head: Buffer; size: number; tail: Buffer; chunkSize?: number };
	timeoutMs?: number;
}

export function req(url: string, o: ReqOptions = {}): Promise<Res> {
	return new Promise((resolve, reject) => {
		const headers: Record<string, string | number> = { ...o.headers };
		const hasLength = Object.keys(headers).some((h) => h.toLowerCase() === 'content-length');
		if (o.body !== undefined && !o.chunked && !hasLength)
			headers['content-length'] = Buffer.byteLength(o.body);
		if (o.stream && !hasLength)
			headers['content-length'] = o.stream.head.length + o.stream.size + o.stream.tail.length;
		const r = httpRequest(url, { method: o.method ?? 'GET', headers, agent: false }, (res) => {
			const parts: Buffer[] = [];
			res.on('data', (c: Buffer) => parts.push(c));
			res.on('error', reject);
			res.on('end', () => {
				const text = Buffer.concat(parts).toString('utf8');
				let json: unknown;
				try {
					json = text ? JSON.parse(text) : undefined;
				} catch {
					json = undefined;
				}
				resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
			});
		});
		r.on('error', reject);
		if (o.timeoutMs) r.setTimeout(o.timeoutMs, () => r.destroy(new Error('client timeout')));
		if (o.stream) {
			void writeStream(r, o.stream).catch(reject);
			return;
		}
		if (o.body !== undefined && o.chunked) {
			const b = Buffer.from(o.body);
			for (let i = 0; i < b.length; i += o.chunked) r.write(b.subarray(i, i + o.chunked));
			r.end();
			return;
		}
		r.end(o.body);
	});
}

async function writeStream(
	r: ReturnType<typeof httpRequest>,
	s: { head: Buffer; size: number; tail: Buffer; chunkSize?: number },
): Promise<void> {
	const write = (b: Buffer) =>
		new Promise<void>((resolve) => {
			if (r.write(b)) resolve();
			else r.once('drain', resolve);
		});
	await write(s.head);
	const size = s.chunkSize ?? 256 * 1024;
	const chunk = patternChunk(size);
	for (let sent = 0; sent < s.size && !r.destroyed; sent += size) {
		await write(chunk.subarray(0, Math.min(size, s.size - sent)));
	}
	r.end(s.tail);
}

/** Deterministic bytes; `patternBytes(n)` equals the streamed file of size n. */
export function patternChunk(size: number): Buffer {
	const b = Buffer.alloc(size);
	for (let i = 0; i < size; i++) b[i] = (i * 31 + 7) & 255;
	return b;
}

export interface Part {
	name?: string;
	value?: string | Buffer;
	filename?: string;
	contentType?: string;
	/** Raw Content-Disposition override. */
	disposition?: string;
}

export function multipart(
	parts: Part[],
	boundary = `----simtest${randomBytes(8).toString('hex')}`,
) {
	const chunks: Buffer[] = [];
	for (const p of parts) {
		let head = `--${boundary}\r\nContent-Disposition: ${p.disposition ?? `form-data; name="${p.name}"${p.filename !== undefined ? `; filename="${p.filename}"` : ''}`}\r\n`;
		if (p.contentType) head += `Content-Type: ${p.contentType}\r\n`;
		chunks.push(Buffer.from(`${head}\r\n`), Buffer.from(p.value ?? ''), Buffer.from('\r\n'));
	}
	chunks.push(Buffer.from(`--${boundary}--\r\n`));
	return {
		body: Buffer.concat(chunks),
		contentType: `multipart/form-data; boundary=${boundary}`,
		boundary,
	};
}

/** Head and tail around a file part, so a large file can be streamed between them. */
export function multipartAround(
	fields: Array<[string, string]>,
	file: { name: string; filename: string; contentType: string },
) {
	const boundary = `----simtest${randomBytes(8).toString('hex')}`;
	const fieldsPart = multipart(
		fields.map(([name, value]) => ({ name, value })),
		boundary,
	).body;
	// Drop the closing delimiter of the fields-only body.
	const withoutClose = fieldsPart.subarray(0, fieldsPart.length - `--${boundary}--\r\n`.length);
	const head = Buffer.concat([
		withoutClose,
		Buffer.from(
			`--${boundary}\r\nContent-Disposition: form-data; name="${file.name}"; filename="${file.filename}"\r\nContent-Type: ${file.contentType}\r\n\r\n`,
		),
	]);
	const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
	return { head, tail, contentType: `multipart/form-data; boundary=${boundary}` };
}

export class Client {
	constructor(
		readonly sim: Simulator,
		readonly key: string | null = sim.apiKey,
	) {}

	call(
		method: string,
		path: string,
		body?: unknown,
		headers: Record<string, string> = {},
	): Promise<Res> {
		const h: Record<string, string> = { ...headers };
		if (this.key !== null) h.authorization = `Bearer ${this.key}`;
		let payload: string | undefined;
		if (body !== undefined) {
			payload = typeof body === 'string' ? body : JSON.stringify(body);
			h['content-type'] ??= 'application/json';
		}
		return req(`${this.sim.apiBaseUrl}${path}`, { method, headers: h, body: payload });
	}

	get(path: string) {
		return this.call('GET', path);
	}

	post(path: string, body?: unknown, headers?: Record<string, string>) {
		return this.call('POST', path, body, headers);
	}

	/** Reserves a signed upload. */
	async reserve(extra: Record<string, unknown> = {}) {
		const r = await this.post('/assets', {
			source: 'signed-url',
			workspace_id: 'ws_demo',
			file_name: 'hero.png',
			content_type: 'image/png',
			...extra,
		});
		if (r.status !== 201) throw new Error(`reserve failed: ${r.status} ${r.text}`);
		return r.json;
	}
}

export interface UploadFile {
	data: Buffer;
	filename?: string | null;
	contentType?: string | null;
	field?: string;
}

/** The multipart body a correct client sends for a reservation. */
export function formFor(
	created: { upload: { form_fields: Record<string, string>; file_field: string } },
	file: UploadFile,
	mutate?: (parts: Part[]) => Part[],
) {
	let parts: Part[] = Object.entries(created.upload.form_fields).map(([name, value]) => ({
		name,
		value,
	}));
	parts.push({
		name: file.field ?? created.upload.file_field,
		value: file.data,
		...(file.filename === null ? {} : { filename: file.filename ?? 'hero.png' }),
		...(file.contentType === null ? {} : { contentType: file.contentType ?? 'image/png' }),
	});
	if (mutate) parts = mutate(parts);
	return multipart(parts);
}

export function upload(
	url: string,
	form: { body: Buffer; contentType: string },
	o: ReqOptions = {},
) {
	return req(url, {
		method: 'POST',
		body: form.body,
		...o,
		headers: { 'content-type': form.contentType, ...o.headers },
	});
}

/** A 1x1 PNG header (enough for the dimension sniffer) padded to `size` bytes. */
export function pngBytes(width: number, height: number, size = 64): Buffer {
	const b = Buffer.alloc(Math.max(size, 33));
	Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(b, 0);
	b.writeUInt32BE(13, 8);
	b.write('IHDR', 12, 'latin1');
	b.writeUInt32BE(width, 16);
	b.writeUInt32BE(height, 20);
	return b;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** sha256 of what `req` streams for `stream.size` bytes with the given chunk size. */
export function patternSha256(size: number, chunkSize = 256 * 1024): string {
	const h = createHash('sha256');
	const chunk = patternChunk(chunkSize);
	for (let sent = 0; sent < size; sent += chunkSize)
		h.update(chunk.subarray(0, Math.min(chunkSize, size - sent)));
	return h.digest('hex');
}
