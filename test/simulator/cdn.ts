/**
 * The CDN origin: run outputs and asset files as real bytes, without any key. Small files (PNG,
 * MP4, WAV, PDF) are built once in memory; large ones (the large output, asset files) are
 * generated deterministically block by block and streamed, never held whole.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { deflateSync } from 'node:zlib';
import { matchesPath } from './record';
import type { CdnFault, CdnFile, RecordedDownload } from './generative-types';

const BLOCK = 64 * 1024;

function crc32(buf: Buffer): number {
	let c = ~0;
	for (const b of buf) {
		c ^= b;
		for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
	}
	return ~c >>> 0;
}

function pngChunk(type: string, data: Buffer): Buffer {
	const len = Buffer.alloc(4);
	len.writeUInt32BE(data.length);
	const td = Buffer.concat([Buffer.from(type, 'latin1'), data]);
	const crc = Buffer.alloc(4);
	crc.writeUInt32BE(crc32(td));
	return Buffer.concat([len, td, crc]);
}

/** A valid 256x256 RGB PNG, a gradient tinted per variant. */
export function pngFile(variant: number): Buffer {
	const w = 256;
	const h = 256;
	const raw = Buffer.alloc((w * 3 + 1) * h);
	const tint = [(variant * 73) & 255, (variant * 151 + 40) & 255, (variant * 29 + 90) & 255];
	for (let y = 0; y < h; y++) {
		const row = y * (w * 3 + 1);
		raw[row] = 0;
		for (let x = 0; x < w; x++) {
			raw[row + 1 + x * 3] = (x + tint[0]) & 255;
			raw[row + 2 + x * 3] = (y + tint[1]) & 255;
			raw[row + 3 + x * 3] = (x ^ y ^ tint[2]) & 255;
		}
	}
	const ihdr = Buffer.alloc(13);
	ihdr.writeUInt32BE(w, 0);
	ihdr.writeUInt32BE(h, 4);
	ihdr[8] = 8; // bit depth
	ihdr[9] = 2; // RGB
	return Buffer.concat([
		Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
		pngChunk('IHDR', ihdr),
		pngChunk('IDAT', deflateSync(raw, { level: 6 })),
		pngChunk('IEND', Buffer.alloc(0)),
	]);
}

function box(type: string, payload: Buffer): Buffer {
	const head = Buffer.alloc(8);
	head.writeUInt32BE(8 + payload.length, 0);
	head.write(type, 4, 'latin1');
	return Buffer.concat([head, payload]);
}

/** An MP4 container (ftyp, free, mdat boxes) of about 300 KB with deterministic media data. */
export function mp4File(): Buffer {
	const ftyp = Buffer.concat([
		Buffer.from('isom', 'latin1'),
		Buffer.from([0, 0, 2, 0]),
		Buffer.from('isomiso2avc1mp41', 'latin1'),
	]);
	return Buffer.concat([
		box('ftyp', ftyp),
		box('free', Buffer.alloc(8)),
		box('mdat', patternBlock('mp4', 0, 300 * 1024)),
	]);
}

/** One second of a 440 Hz tone, 16 kHz mono 16-bit PCM WAV. */
export function wavFile(): Buffer {
	const rate = 16_000;
	const samples = rate;
	const data = Buffer.alloc(samples * 2);
	for (let i = 0; i < samples; i++)
		data.writeInt16LE(Math.round(Math.sin((2 * Math.PI * 440 * i) / rate) * 12_000), i * 2);
	const head = Buffer.alloc(44);
	head.write('RIFF', 0, 'latin1');
	head.writeUInt32LE(36 + data.length, 4);
	head.write('WAVEfmt ', 8, 'latin1');
	head.writeUInt32LE(16, 16);
	head.writeUInt16LE(1, 20); // PCM
	head.writeUInt16LE(1, 22); // mono
	head.writeUInt32LE(rate, 24);
	head.writeUInt32LE(rate * 2, 28);
	head.writeUInt16LE(2, 32);
	head.writeUInt16LE(16, 34);
	head.write('data', 36, 'latin1');
	head.writeUInt32LE(data.length, 40);
	return Buffer.concat([head, data]);
}

/** A one-page PDF. */
export function pdfFile(): Buffer {
	const text = 'BT /F1 24 Tf 72 720 Td (FLORA simulator brief) Tj ET';
	const objs = [
		'<< /Type /Catalog /Pages 2 0 R >>',
		'<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
		'<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
		`<< /Length ${text.length} >>\nstream\n${text}\nendstream`,
		'<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
	];
	let out = '%PDF-1.4\n';
	const offsets: number[] = [];
	objs.forEach((o, i) => {
		offsets.push(out.length);
		out += `${i + 1} 0 obj\n${o}\nendobj\n`;
	});
	const xref = out.length;
	out += `xref\n0 ${objs.length + 1}\n0000000000 65535 f \n`;
	for (const off of offsets) out += `${String(off).padStart(10, '0')} 00000 n \n`;
	out += `trailer\n<< /Size ${objs.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
	return Buffer.from(out, 'latin1');
}

const baseBlocks = new Map<string, Buffer>();

function baseBlock(seed: string): Buffer {
	let b = baseBlocks.get(seed);
	if (!b) {
		b = Buffer.alloc(BLOCK);
		let h = createHash('sha256').update(seed).digest();
		for (let off = 0; off < BLOCK; off += 32) {
			h.copy(b, off);
			h = createHash('sha256').update(h).digest();
		}
		baseBlocks.set(seed, b);
	}
	return b;
}

/** Block `index` of a generated file (the seed's base block stamped with the index). */
function patternBlock(seed: string, index: number, length = BLOCK): Buffer {
	const out = Buffer.alloc(length);
	const base = baseBlock(seed);
	for (let off = 0; off < length; off += BLOCK) {
		base.copy(out, off, 0, Math.min(BLOCK, length - off));
		const i = index + off / BLOCK;
		if (length - off >= 8) {
			out.writeUInt32BE(Math.floor(i / 2 ** 32), off);
			out.writeUInt32BE(i >>> 0, off + 4);
		}
	}
	return out;
}

/** The bytes of a generated file, block by block. */
function* patternBlocks(seed: string, size: number): Generator<Buffer> {
	for (let i = 0, off = 0; off < size; i++, off += BLOCK) {
		yield patternBlock(seed, i, Math.min(BLOCK, size - off));
	}
}

interface Entry {
	file: CdnFile;
	/** In memory (small files), or generated from a seed (large files). */
	bytes?: Buffer;
	seed?: string;
}

const memo = new Map<string, Buffer>();
function small(kind: 'png' | 'mp4' | 'wav' | 'pdf', variant = 0): Buffer {
	const key = `${kind}:${variant}`;
	let b = memo.get(key);
	if (!b) {
		b =
			kind === 'png'
				? pngFile(variant)
				: kind === 'mp4'
					? mp4File()
					: kind === 'wav'
						? wavFile()
						: pdfFile();
		memo.set(key, b);
	}
	return b;
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const hashCache = new Map<string, Promise<string>>();

/** sha256 of a generated file, hashed in slices so the event loop keeps serving. */
function patternSha256(seed: string, size: number): Promise<string> {
	const key = `${seed}:${size}`;
	let p = hashCache.get(key);
	if (!p) {
		p = (async () => {
			const h = createHash('sha256');
			let n = 0;
			for (const b of patternBlocks(seed, size)) {
				h.update(b);
				if (++n % 64 === 0) await new Promise((r) => setImmediate(r));
			}
			return h.digest('hex');
		})();
		hashCache.set(key, p);
	}
	return p;
}

export interface AssetFileSource {
	asset_id: string;
	status: string;
	size_bytes: number | null;
	content_type: string | null;
	upload_content_type: string | null;
	name: string | null;
	/** Kept for a direct upload: served as they are. */
	bytes?: Buffer;
	sha256?: string | null;
}

export class Cdn {
	origin = '';
	private readonly files = new Map<string, Entry>();
	private faults: Array<{ fault: CdnFault; skipped: number; used: number }> = [];
	private seq = 0;

	constructor(
		private readonly downloads: RecordedDownload[],
		private readonly findAsset: (id: string) => AssetFileSource | undefined,
		private readonly authorization: () => 'ignore' | 'refuse',
	) {}

	reset(): void {
		this.files.clear();
		this.faults = [];
		this.seq = 0;
	}

	inject(fault: CdnFault): void {
		if (fault.kind !== 'reset' && fault.kind !== 'status')
			throw new Error(`unknown CDN fault kind ${String(fault.kind)}`);
		if (fault.kind === 'status' && !(Number.isInteger(fault.status) && fault.status! >= 100))
			throw new Error('status CDN fault needs an HTTP status');
		this.faults.push({ fault, skipped: 0, used: 0 });
	}

	clearFaults(): void {
		this.faults = [];
	}

	listFaults(): CdnFault[] {
		return this.faults.map((f) => f.fault);
	}

	/** Registers a run output file and returns it (sha256 set for small files). */
	addOutput(
		runId: string,
		outputId: string,
		kind: 'png' | 'mp4' | 'wav' | 'pdf' | 'large',
		variant: number,
		largeBytes: number,
	): CdnFile {
		const ext = { png: 'png', mp4: 'mp4', wav: 'wav', pdf: 'pdf', large: 'mp4' }[kind];
		const contentType = {
			png: 'image/png',
			mp4: 'video/mp4',
			wav: 'audio/wav',
			pdf: 'application/pdf',
			large: 'video/mp4',
		}[kind];
		const fileName = `${outputId}.${ext}`;
		const path = `/outputs/${runId}/${fileName}`;
		const entry: Entry =
			kind === 'large'
				? {
						// One seed for every large output: the same bytes per size, hashed once per process.
						seed: 'large',
						file: {
							path,
							url: this.origin + path,
							kind,
							size: largeBytes,
							content_type: contentType,
							file_name: fileName,
						},
					}
				: (() => {
						const bytes = small(kind, variant);
						return {
							bytes,
							file: {
								path,
								url: this.origin + path,
								kind,
								size: bytes.length,
								sha256: sha(bytes),
								content_type: contentType,
								file_name: fileName,
							},
						};
					})();
		this.files.set(path, entry);
		if (entry.seed) {
			const seed = entry.seed;
			void patternSha256(seed, largeBytes).then((h) => (entry.file.sha256 = h));
		}
		return entry.file;
	}

	assetPath(assetId: string, fileName: string): string {
		return `/assets/${assetId}/${encodeURIComponent(fileName)}`;
	}

	private lookup(path: string): Entry | undefined {
		const hit = this.files.get(path);
		if (hit) return hit;
		const m = /^\/assets\/([^/]+)\/([^/]+)$/.exec(path);
		if (!m) return undefined;
		const a = this.findAsset(m[1]);
		if (!a || a.status !== 'ready') return undefined;
		let fileName: string;
		try {
			fileName = decodeURIComponent(m[2]);
		} catch {
			return undefined;
		}
		if (a.bytes) {
			return {
				bytes: a.bytes,
				file: {
					path,
					url: this.origin + path,
					kind: 'asset',
					size: a.bytes.length,
					sha256: a.sha256 ?? sha(a.bytes),
					content_type: a.content_type ?? a.upload_content_type ?? 'application/octet-stream',
					file_name: a.name ?? fileName,
				},
			};
		}
		return {
			seed: `asset:${a.asset_id}`,
			file: {
				path,
				url: this.origin + path,
				kind: 'asset',
				size: a.size_bytes ?? 1024,
				content_type: a.content_type ?? a.upload_content_type ?? 'application/octet-stream',
				file_name: a.name ?? fileName,
			},
		};
	}

	/** The file at a URL or path, with its sha256. */
	async file(urlOrPath: string): Promise<CdnFile | undefined> {
		const path = urlOrPath.startsWith(this.origin)
			? new URL(urlOrPath).pathname
			: urlOrPath.split('?')[0];
		const e = this.lookup(path);
		if (!e) return undefined;
		if (e.seed && !e.file.sha256) e.file.sha256 = await patternSha256(e.seed, e.file.size);
		return { ...e.file };
	}

	private takeFault(method: string, path: string): CdnFault | undefined {
		for (const q of this.faults) {
			const f = q.fault;
			if (f.method && f.method.toUpperCase() !== method) continue;
			if (!matchesPath(f.path, path)) continue;
			if (q.skipped < (f.skip ?? 0)) {
				q.skipped++;
				continue;
			}
			q.used++;
			if (q.used >= (f.times ?? 1)) this.faults.splice(this.faults.indexOf(q), 1);
			return f;
		}
		return undefined;
	}

	handler() {
		return (req: IncomingMessage, res: ServerResponse) => {
			this.serve(req, res).catch(() => {
				if (!res.destroyed) res.destroy();
			});
		};
	}

	private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
		const method = req.method ?? 'GET';
		const path = new URL(req.url ?? '/', 'http://cdn').pathname;
		const rec: RecordedDownload = {
			seq: ++this.seq,
			method,
			path,
			status: 'pending',
			bytesSent: 0,
			completed: false,
			hasAuthorization: req.headers.authorization !== undefined,
			...(req.headers.range ? { range: String(req.headers.range) } : {}),
		};
		this.downloads.push(rec);
		res.on('close', () => {
			if (rec.status === 'pending') rec.status = res.writableFinished ? res.statusCode : 'aborted';
		});
		req.resume();
		const plain = (status: number, text: string) => {
			rec.status = status;
			res.writeHead(status, {
				'content-type': 'text/plain; charset=utf-8',
				'content-length': Buffer.byteLength(text),
			});
			res.end(method === 'HEAD' ? undefined : text);
		};
		if (method !== 'GET' && method !== 'HEAD') return plain(405, 'Method not allowed');
		if (rec.hasAuthorization && this.authorization() === 'refuse')
			return plain(400, 'Authorization header not accepted on file URLs');
		const entry = this.lookup(path);
		if (!entry) return plain(404, 'Not found');
		const { file } = entry;
		rec.kind = file.kind;
		rec.size = file.size;
		const fault = this.takeFault(method, path);
		if (fault) rec.fault = fault.kind;
		if (fault?.kind === 'status') return plain(fault.status!, `Injected ${fault.status}`);
		rec.status = 200;
		res.writeHead(200, {
			'content-type': file.content_type,
			'content-length': String(file.size),
			'content-disposition': `attachment; filename="${file.file_name.replace(/"/g, '')}"`,
			'cache-control': 'public, max-age=31536000, immutable',
			'accept-ranges': 'none',
		});
		if (method === 'HEAD') {
			res.end();
			rec.completed = true;
			return;
		}
		const limit = fault?.kind === 'reset' ? (fault.afterBytes ?? 0) : Infinity;
		const chunks: Iterable<Buffer> = entry.bytes
			? [entry.bytes]
			: patternBlocks(entry.seed!, file.size);
		for (const chunk of chunks) {
			if (res.destroyed) return;
			const room = limit - rec.bytesSent;
			const piece = room < chunk.length ? chunk.subarray(0, Math.max(0, room)) : chunk;
			if (piece.length) {
				rec.bytesSent += piece.length;
				if (!res.write(piece)) await waitDrain(res);
			}
			if (piece.length < chunk.length) {
				rec.status = 'reset';
				await new Promise((r) => setTimeout(r, 20));
				res.socket?.destroy();
				return;
			}
		}
		rec.completed = true;
		res.end();
	}
}

function waitDrain(res: ServerResponse): Promise<void> {
	return new Promise((resolve) => {
		const done = () => {
			res.off('drain', done);
			res.off('close', done);
			resolve();
		};
		res.on('drain', done);
		res.on('close', done);
	});
}
