import { createHash } from 'node:crypto';

export const ALLOWED_CONTENT_TYPES = new Set([
	'image/jpeg',
	'image/png',
	'image/webp',
	'image/gif',
	'image/avif',
	'image/heic',
	'image/heif',
	'video/mp4',
	'video/webm',
	'video/quicktime',
	'audio/mpeg',
	'audio/wav',
	'audio/x-wav',
	'audio/wave',
	'audio/ogg',
	'application/pdf',
]);

const BY_EXT: Record<string, string> = {
	jpg: 'image/jpeg',
	jpeg: 'image/jpeg',
	png: 'image/png',
	webp: 'image/webp',
	gif: 'image/gif',
	avif: 'image/avif',
	heic: 'image/heic',
	heif: 'image/heif',
	mp4: 'video/mp4',
	webm: 'video/webm',
	mov: 'video/quicktime',
	mp3: 'audio/mpeg',
	wav: 'audio/wav',
	ogg: 'audio/ogg',
	pdf: 'application/pdf',
};

export function baseType(contentType: string | null | undefined): string | undefined {
	return contentType ? contentType.split(';')[0].trim().toLowerCase() : undefined;
}

export function isAllowedType(contentType: string | null | undefined): boolean {
	const t = baseType(contentType);
	return t !== undefined && ALLOWED_CONTENT_TYPES.has(t);
}

export function typeFromName(name: string | null | undefined): string | undefined {
	const m = name ? /\.([a-z0-9]+)$/i.exec(name) : null;
	return m ? BY_EXT[m[1].toLowerCase()] : undefined;
}

export function extFor(contentType: string | undefined): string {
	const t = baseType(contentType);
	const ext = Object.entries(BY_EXT).find(([, v]) => v === t)?.[0];
	return ext ? `.${ext}` : '';
}

/** Deterministic pseudo-metadata for a URL-source asset (the simulator never fetches). */
export function fakeMetadata(seed: string, contentType: string) {
	const h = createHash('sha256').update(seed).digest();
	const size = 10_000 + (h.readUInt32BE(0) % 5_000_000);
	const isImage = contentType.startsWith('image/');
	const isVideo = contentType.startsWith('video/');
	return {
		size,
		width: isImage || isVideo ? 320 + (h.readUInt16BE(4) % 3000) : null,
		height: isImage || isVideo ? 240 + (h.readUInt16BE(6) % 3000) : null,
	};
}

const SNIFF_BYTES = 64 * 1024;

/** Keeps the first 64 KB of a stream to read image dimensions from. */
export class DimensionSniffer {
	private parts: Buffer[] = [];
	private length = 0;

	push(chunk: Buffer): void {
		if (this.length >= SNIFF_BYTES) return;
		const take = chunk.subarray(0, SNIFF_BYTES - this.length);
		this.parts.push(Buffer.from(take));
		this.length += take.length;
	}

	dimensions(): { width: number; height: number } | undefined {
		return imageDimensions(Buffer.concat(this.parts));
	}
}

export function imageDimensions(b: Buffer): { width: number; height: number } | undefined {
	try {
		// PNG: IHDR right after the signature.
		if (
			b.length >= 24 &&
			b.readUInt32BE(0) === 0x89504e47 &&
			b.toString('latin1', 12, 16) === 'IHDR'
		) {
			return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
		}
		// GIF
		if (b.length >= 10 && b.toString('latin1', 0, 3) === 'GIF') {
			return { width: b.readUInt16LE(6), height: b.readUInt16LE(8) };
		}
		// WebP
		if (
			b.length >= 30 &&
			b.toString('latin1', 0, 4) === 'RIFF' &&
			b.toString('latin1', 8, 12) === 'WEBP'
		) {
			const kind = b.toString('latin1', 12, 16);
			if (kind === 'VP8 ')
				return { width: b.readUInt16LE(26) & 0x3fff, height: b.readUInt16LE(28) & 0x3fff };
			if (kind === 'VP8L') {
				const bits = b.readUInt32LE(21);
				return { width: (bits & 0x3fff) + 1, height: ((bits >> 14) & 0x3fff) + 1 };
			}
			if (kind === 'VP8X')
				return { width: b.readUIntLE(24, 3) + 1, height: b.readUIntLE(27, 3) + 1 };
		}
		// JPEG: walk the segments to a SOFn marker.
		if (b.length >= 4 && b[0] === 0xff && b[1] === 0xd8) {
			let i = 2;
			while (i + 9 < b.length) {
				if (b[i] !== 0xff) return undefined;
				const marker = b[i + 1];
				if (marker === 0xff) {
					i++;
					continue;
				}
				const len = b.readUInt16BE(i + 2);
				if (
					marker >= 0xc0 &&
					marker <= 0xcf &&
					marker !== 0xc4 &&
					marker !== 0xc8 &&
					marker !== 0xcc
				) {
					return { width: b.readUInt16BE(i + 7), height: b.readUInt16BE(i + 5) };
				}
				i += 2 + len;
			}
		}
	} catch {
		return undefined;
	}
	return undefined;
}
