import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RecordedRequest } from './types';

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export interface Reply {
	status: number;
	body?: unknown;
	headers?: Record<string, string>;
}

/** Ties a recorded request to its response so status and end time are always filled in. */
export function track(rec: RecordedRequest, res: ServerResponse): void {
	res.on('close', () => {
		rec.endedAt = Date.now();
		if (rec.status === 'pending') rec.status = res.writableFinished ? res.statusCode : 'aborted';
	});
}

export function sendJson(res: ServerResponse, rec: RecordedRequest, reply: Reply): void {
	if (res.destroyed || res.headersSent) return;
	const body = reply.body === undefined ? '' : JSON.stringify(reply.body);
	rec.status = reply.status;
	res.writeHead(reply.status, {
		'content-type': 'application/json; charset=utf-8',
		'content-length': String(Buffer.byteLength(body)),
		...reply.headers,
	});
	res.end(body);
}

/** Destroys the connection without an answer. */
export function dropConnection(
	req: IncomingMessage,
	rec: RecordedRequest,
	status: 'reset' | 'lost',
): void {
	rec.status = status;
	rec.endedAt = Date.now();
	req.socket.destroy();
}

export class BodyTooLarge extends Error {}

/** Reads a small body whole. Bigger bodies are drained and rejected. */
export function readBody(
	req: IncomingMessage,
	rec: RecordedRequest,
	limit: number,
): Promise<Buffer> {
	return new Promise((resolve, reject) => {
		const parts: Buffer[] = [];
		let size = 0;
		let tooLarge = false;
		req.on('data', (chunk: Buffer) => {
			rec.bodyBytes += chunk.length;
			size += chunk.length;
			if (size > limit) tooLarge = true;
			else parts.push(chunk);
		});
		req.on('end', () => (tooLarge ? reject(new BodyTooLarge()) : resolve(Buffer.concat(parts))));
		req.on('error', reject);
		req.on('aborted', () => reject(new Error('aborted')));
	});
}

export function drain(req: IncomingMessage, rec: RecordedRequest): Promise<void> {
	if (req.readableEnded) return Promise.resolve();
	return new Promise((resolve) => {
		req.on('data', (chunk: Buffer) => {
			rec.bodyBytes += chunk.length;
		});
		req.on('end', resolve);
		req.on('close', resolve);
		req.resume();
	});
}

export function headerValue(req: IncomingMessage, name: string): string | undefined {
	const v = req.headers[name];
	return Array.isArray(v) ? v.join(', ') : v;
}
