/**
 * Streaming multipart/form-data parser. Part bodies are handed out chunk by chunk as views
 * into the incoming buffers; at most one chunk plus a delimiter length is held at a time,
 * so memory stays flat whatever the upload size.
 */

export interface PartInfo {
	index: number;
	name: string | undefined;
	filename: string | undefined;
	contentType: string | undefined;
	headers: Array<[string, string]>;
}

export interface MultipartHandlers {
	onPartBegin(part: PartInfo): void;
	/** The chunk is only valid during the call. */
	onPartData(chunk: Buffer): void;
	onPartEnd(): void;
}

export class MultipartError extends Error {}

type State = 'preamble' | 'afterDelimiter' | 'headers' | 'body' | 'epilogue';

const CRLF = Buffer.from('\r\n');
const CRLFCRLF = Buffer.from('\r\n\r\n');
const EMPTY = Buffer.alloc(0);
const MAX_HEADER_BYTES = 16 * 1024;

export class MultipartParser {
	private readonly delimiter: Buffer;
	// A leading CRLF lets a boundary at the very start match the same delimiter as the others.
	private buf: Buffer = Buffer.from('\r\n');
	private state: State = 'preamble';
	private partIndex = 0;
	/** Largest internal buffer seen (to prove the flat-memory claim in tests). */
	maxBuffered = 0;
	epilogueBytes = 0;

	constructor(
		boundary: string,
		private readonly handlers: MultipartHandlers,
	) {
		if (!boundary || boundary.length > 200) throw new MultipartError('invalid boundary');
		this.delimiter = Buffer.from(`\r\n--${boundary}`);
	}

	/** True once the closing delimiter has been seen. */
	get finished(): boolean {
		return this.state === 'epilogue';
	}

	get inPartBody(): boolean {
		return this.state === 'body';
	}

	write(chunk: Buffer): void {
		if (this.state === 'epilogue') {
			this.epilogueBytes += chunk.length;
			return;
		}
		this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
		if (this.buf.length > this.maxBuffered) this.maxBuffered = this.buf.length;
		for (;;) {
			switch (this.state) {
				case 'preamble': {
					const i = this.buf.indexOf(this.delimiter);
					if (i < 0) {
						this.keepTail();
						return;
					}
					this.buf = this.buf.subarray(i + this.delimiter.length);
					this.state = 'afterDelimiter';
					break;
				}
				case 'afterDelimiter': {
					if (this.buf.length < 2) return;
					if (this.buf[0] === 0x2d && this.buf[1] === 0x2d) {
						this.state = 'epilogue';
						this.epilogueBytes += this.buf.length - 2;
						this.buf = EMPTY;
						return;
					}
					const i = this.buf.indexOf(CRLF);
					if (i < 0) {
						if (this.buf.length > 1024) throw new MultipartError('garbage after boundary');
						return;
					}
					// Transport padding (spaces/tabs) may follow a boundary.
					for (let k = 0; k < i; k++) {
						if (this.buf[k] !== 0x20 && this.buf[k] !== 0x09)
							throw new MultipartError('garbage after boundary');
					}
					// Keep the CRLF: the header block is then "\r\n<headers>\r\n\r\n", also when empty.
					this.buf = this.buf.subarray(i);
					this.state = 'headers';
					break;
				}
				case 'headers': {
					const i = this.buf.indexOf(CRLFCRLF);
					if (i < 0) {
						if (this.buf.length > MAX_HEADER_BYTES)
							throw new MultipartError('part headers too large');
						return;
					}
					const text = i > 2 ? this.buf.toString('utf8', 2, i) : '';
					this.buf = this.buf.subarray(i + 4);
					this.state = 'body';
					this.handlers.onPartBegin(parsePartHeaders(text, this.partIndex++));
					break;
				}
				case 'body': {
					const i = this.buf.indexOf(this.delimiter);
					if (i < 0) {
						const safe = this.buf.length - (this.delimiter.length - 1);
						if (safe > 0) {
							this.handlers.onPartData(this.buf.subarray(0, safe));
							this.buf = this.buf.subarray(safe);
						}
						return;
					}
					if (i > 0) this.handlers.onPartData(this.buf.subarray(0, i));
					this.handlers.onPartEnd();
					this.buf = this.buf.subarray(i + this.delimiter.length);
					this.state = 'afterDelimiter';
					break;
				}
				default:
					return;
			}
		}
	}

	private keepTail(): void {
		const keep = this.delimiter.length - 1;
		if (this.buf.length > keep) this.buf = Buffer.from(this.buf.subarray(this.buf.length - keep));
	}
}

function parsePartHeaders(text: string, index: number): PartInfo {
	const headers: Array<[string, string]> = [];
	for (const line of text.split('\r\n')) {
		if (!line) continue;
		const colon = line.indexOf(':');
		if (colon <= 0) throw new MultipartError(`malformed part header: ${line.slice(0, 80)}`);
		headers.push([line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()]);
	}
	const disposition = headers.find(([n]) => n === 'content-disposition')?.[1];
	const contentType = headers.find(([n]) => n === 'content-type')?.[1];
	let name: string | undefined;
	let filename: string | undefined;
	if (disposition) {
		const params = parseHeaderParams(disposition);
		name = params.name;
		filename =
			params['filename*'] !== undefined ? decodeExtValue(params['filename*']) : params.filename;
	}
	return { index, name, filename, contentType: contentType || undefined, headers };
}

/** Parameters of a header value such as `form-data; name="a"; filename="b.png"`. */
export function parseHeaderParams(value: string): Record<string, string> {
	const out: Record<string, string> = {};
	let i = value.indexOf(';');
	if (i < 0) return out;
	i++;
	while (i < value.length) {
		while (i < value.length && (value[i] === ' ' || value[i] === '\t' || value[i] === ';')) i++;
		const eq = value.indexOf('=', i);
		if (eq < 0) break;
		const key = value.slice(i, eq).trim().toLowerCase();
		i = eq + 1;
		let val = '';
		if (value[i] === '"') {
			i++;
			while (i < value.length && value[i] !== '"') {
				if (value[i] === '\\' && i + 1 < value.length) i++;
				val += value[i++];
			}
			i++;
		} else {
			const end = value.indexOf(';', i);
			val = value.slice(i, end < 0 ? value.length : end).trim();
			i = end < 0 ? value.length : end;
		}
		out[key] = val;
	}
	return out;
}

function decodeExtValue(v: string): string {
	// RFC 5987: charset'lang'percent-encoded
	const m = /^([^']*)'[^']*'(.*)$/.exec(v);
	if (!m) return v;
	try {
		return decodeURIComponent(m[2]);
	} catch {
		return m[2];
	}
}

export function boundaryOf(contentType: string | undefined): string | undefined {
	if (!contentType) return undefined;
	const [type] = contentType.split(';');
	if (type.trim().toLowerCase() !== 'multipart/form-data') return undefined;
	return parseHeaderParams(contentType).boundary || undefined;
}
