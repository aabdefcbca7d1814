import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { handleControl, type ControlTarget } from './control';
import {
	BodyTooLarge,
	drain,
	dropConnection,
	headerValue,
	readBody,
	sendJson,
	sleep,
	track,
	type Reply,
} from './http';
import { routeGenerative } from './generative';
import { ALLOWED_CONTENT_TYPES, isAllowedType } from './media';
import { boundaryOf } from './multipart';
import type { AssetState, SimContext, UploadForm } from './store';
import { FormReader, PUT_PATH_PREFIX, streamBody, UPLOAD_PATH } from './upload';
import type { DirectRefusal, RecordedRequest } from './types';

interface FieldError {
	field: string;
	message: string;
}

const JSON_LIMIT = 1024 * 1024;
const WS_PATTERN = /^ws_\S+$/;
const PRJ_PATTERN = /^prj_\S+$/;
const CREATE_KEYS = new Set([
	'source',
	'workspace_id',
	'folder',
	'content_type',
	'file_name',
	'project_id',
]);

const DEFAULTS: Record<number, [string, string]> = {
	400: ['input_validation_error', 'Invalid request.'],
	401: ['unauthorized', 'Invalid API key.'],
	402: ['insufficient_credits', 'Insufficient credits.'],
	403: ['forbidden', 'Forbidden.'],
	404: ['not_found', 'Not found.'],
	409: ['idempotency_duplicate', 'Duplicate idempotency key.'],
	429: ['rate_limited', 'Rate limit exceeded.'],
	500: ['unknown_error', 'An unknown error occurred.'],
	503: ['unknown_error', 'Service temporarily unavailable.'],
};

export function apiError(
	status: number,
	code?: string,
	message?: string,
	fields?: FieldError[],
): Reply {
	const [dc, dm] = DEFAULTS[status] ?? (status >= 500 ? DEFAULTS[500] : DEFAULTS[400]);
	return {
		status,
		body: {
			error: { code: code ?? dc, message: message ?? dm, ...(fields?.length ? { fields } : {}) },
		},
	};
}

export function validationError(fields: FieldError[]): Reply {
	return apiError(
		400,
		'input_validation_error',
		fields.map((f) => `${f.field}: ${f.message}`).join('; '),
		fields,
	);
}

export function createApiHandler(ctx: SimContext, control: () => ControlTarget) {
	return (req: IncomingMessage, res: ServerResponse) => {
		handleApi(ctx, control, req, res).catch((err) => {
			ctx.log(`api handler error: ${err instanceof Error ? err.stack : String(err)}`);
			if (!res.headersSent && !res.destroyed) {
				const r = apiError(500);
				res.writeHead(500, { 'content-type': 'application/json' });
				res.end(JSON.stringify(r.body));
			}
		});
	};
}

async function handleApi(
	ctx: SimContext,
	control: () => ControlTarget,
	req: IncomingMessage,
	res: ServerResponse,
): Promise<void> {
	const url = new URL(req.url ?? '/', ctx.origins.api);
	if (url.pathname === '/__sim' || url.pathname.startsWith('/__sim/')) {
		return handleControl(ctx, control(), req, res, url);
	}
	const inApi = url.pathname === '/api/v1' || url.pathname.startsWith('/api/v1/');
	const path = inApi ? url.pathname.slice('/api/v1'.length) || '/' : url.pathname;
	const method = req.method ?? 'GET';
	const rec = ctx.record.startRequest('api', req, url, path);
	track(rec, res);
	rec.requestId = `req_${randomBytes(12).toString('hex')}`;
	res.setHeader('request-id', rec.requestId);

	if (ctx.opts.latencyMs > 0) await sleep(ctx.opts.latencyMs);

	const bodyKind = boundaryOf(headerValue(req, 'content-type')) ? 'multipart' : 'json';
	const fault = ctx.faults.take('api', method, path, false, bodyKind);
	if (fault) rec.fault = fault.kind;
	switch (fault?.kind) {
		case 'reset':
			return dropConnection(req, rec, 'reset');
		case 'status': {
			await drain(req, rec);
			if (fault.rawBody !== undefined) {
				rec.status = fault.status;
				res.writeHead(fault.status, {
					'content-type': fault.contentType ?? 'text/html; charset=utf-8',
					'content-length': String(Buffer.byteLength(fault.rawBody)),
				});
				res.end(fault.rawBody);
				return;
			}
			const reply: Reply =
				fault.body !== undefined
					? { status: fault.status, body: fault.body }
					: apiError(fault.status, fault.code, fault.message);
			if (fault.retryAfter !== undefined) reply.headers = { 'retry-after': fault.retryAfter };
			return sendJson(res, rec, reply);
		}
		case 'echoAuth': {
			await drain(req, rec);
			const auth = headerValue(req, 'authorization') ?? '(none)';
			return sendJson(
				res,
				rec,
				apiError(fault.status ?? 401, 'unauthorized', `Invalid API key: ${auth}`),
			);
		}
		case 'redirect':
			await drain(req, rec);
			return sendJson(res, rec, {
				status: fault.status ?? 307,
				headers: { location: `${ctx.origins.redirect}${req.url ?? '/'}` },
				body: { message: 'Temporary redirect' },
			});
	}

	const reply = inApi ? await route(ctx, req, url, path, method, rec) : apiError(404);
	await drain(req, rec);
	if (fault?.kind === 'delay') await sleep(fault.ms);
	if (fault?.kind === 'lostResponse') return dropConnection(req, rec, 'lost');
	sendJson(res, rec, reply);
}

function authenticate(ctx: SimContext, req: IncomingMessage): { key: string } | Reply {
	const h = headerValue(req, 'authorization');
	if (!h)
		return apiError(401, 'unauthorized', 'Missing API key. Send "Authorization: Bearer <key>".');
	const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
	if (!m)
		return apiError(
			401,
			'unauthorized',
			'Malformed Authorization header. Expected "Bearer <key>".',
		);
	if (!ctx.opts.apiKeys.includes(m[1])) return apiError(401, 'invalid_api_key', 'Invalid API key.');
	return { key: m[1] };
}

async function route(
	ctx: SimContext,
	req: IncomingMessage,
	url: URL,
	path: string,
	method: string,
	rec: RecordedRequest,
): Promise<Reply> {
	const auth = authenticate(ctx, req);
	if ('status' in auth) return auth;
	const key = auth.key;
	let segs: string[];
	try {
		segs = path.split('/').filter(Boolean).map(decodeURIComponent);
	} catch {
		return apiError(404, 'not_found', 'Not found.');
	}
	const q = url.searchParams;
	const generative = await routeGenerative(ctx, req, url, segs, method, rec, key);
	if (generative) return generative;

	if (segs[0] === 'workspaces' && segs.length === 1 && method === 'GET') return listWorkspaces(ctx);
	if (segs[0] === 'projects') {
		if (segs.length === 1 && method === 'GET') return listProjects(ctx, q);
		if (segs.length === 1 && method === 'POST') {
			const body = await jsonBody(req, rec);
			if ('status' in body) return body;
			return idempotent(ctx, key, req, rec, fingerprint(method, path, body.raw), undefined, () =>
				createProject(ctx, body.value),
			);
		}
		if (segs.length === 2 && method === 'GET') {
			const p = ctx.store.projects.find(
				(x) => x.project_id === segs[1] && ctx.store.canSee(x.workspace_id),
			);
			return p ? { status: 200, body: p } : apiError(404, 'not_found', 'Project not found.');
		}
	}
	if (segs[0] === 'assets') {
		if (segs.length === 1 && method === 'GET') return listAssets(ctx, q);
		if (segs.length === 1 && method === 'POST') {
			const boundary = boundaryOf(headerValue(req, 'content-type'));
			if (boundary && ctx.opts.directRefusal) return directRefused(ctx.opts.directRefusal);
			if (boundary) {
				return idempotent(
					ctx,
					key,
					req,
					rec,
					fingerprint(method, path, Buffer.from('multipart')),
					undefined,
					() => createDirect(ctx, req, rec, boundary, method),
				);
			}
			const body = await jsonBody(req, rec);
			if ('status' in body) return body;
			const bodyKey =
				body.value &&
				typeof body.value === 'object' &&
				typeof (body.value as Record<string, unknown>).idempotency_key === 'string'
					? ((body.value as Record<string, unknown>).idempotency_key as string)
					: undefined;
			return idempotent(ctx, key, req, rec, fingerprint(method, path, body.raw), bodyKey, () =>
				createAsset(ctx, body.value, method, path),
			);
		}
		if (segs.length >= 2) {
			const a = ctx.store.assets.get(segs[1]);
			const visible = a && ctx.store.canSee(a.workspace_id) ? a : undefined;
			if (segs.length === 2 && method === 'GET') {
				if (!visible) return apiError(404, 'not_found', 'Asset not found.');
				ctx.store.poll(visible);
				return { status: 200, body: fullAsset(visible) };
			}
			if (
				segs.length === 3 &&
				method === 'POST' &&
				(segs[2] === 'complete' || segs[2] === 'retry')
			) {
				const body = await readBody(req, rec, JSON_LIMIT).catch(() => Buffer.alloc(0));
				return idempotent(ctx, key, req, rec, fingerprint(method, path, body), undefined, () => {
					if (!visible) return apiError(404, 'not_found', 'Asset not found.');
					return segs[2] === 'complete'
						? complete(ctx, visible)
						: retry(ctx, visible, method, path);
				});
			}
		}
	}
	return apiError(404, 'not_found', 'Not found.');
}

// --- helpers --------------------------------------------------------------------------

export async function jsonBody(
	req: IncomingMessage,
	rec: RecordedRequest,
): Promise<{ value: unknown; raw: Buffer } | Reply> {
	let raw: Buffer;
	try {
		raw = await readBody(req, rec, JSON_LIMIT);
	} catch (e) {
		if (e instanceof BodyTooLarge)
			return apiError(400, 'invalid_json', 'Request body is too large.');
		throw e;
	}
	try {
		return { value: JSON.parse(raw.toString('utf8')), raw };
	} catch {
		return apiError(400, 'invalid_json', 'Invalid JSON body.');
	}
}

export function fingerprint(method: string, path: string, body: Buffer): string {
	return createHash('sha256').update(`${method} ${path}\n`).update(body).digest('hex');
}

/** Idempotency-Key (header, 2 h) or `idempotency_key` (body, 24 h): remembered only when applied. */
export async function idempotent(
	ctx: SimContext,
	apiKey: string,
	req: IncomingMessage,
	rec: RecordedRequest,
	fp: string,
	bodyKey: string | undefined,
	apply: () => Reply | Promise<Reply>,
): Promise<Reply> {
	const headerKey = headerValue(req, 'idempotency-key');
	const idem = headerKey ?? bodyKey;
	if (idem !== undefined) {
		rec.idempotencyKey ??= idem;
		const seen = ctx.store.idempotencySeen(apiKey, idem);
		if (seen) {
			ctx.record.duplicatesPrevented++;
			if (seen.fingerprint !== fp) {
				ctx.record.violation(
					'api',
					'bad-idempotency-reuse',
					`Idempotency-Key ${idem} reused for a different request (${rec.method} ${rec.path})`,
					rec.seq,
				);
			}
			return apiError(409, 'idempotency_duplicate', 'Duplicate idempotency key.');
		}
	}
	const reply = await apply();
	if (idem !== undefined && reply.status >= 200 && reply.status < 300) {
		ctx.store.rememberIdempotency(apiKey, idem, fp, headerKey === undefined);
	}
	return reply;
}

export function parseLimit(q: URLSearchParams, fields: FieldError[]): number {
	const v = q.get('limit');
	if (v === null || v === '') return 20;
	if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > 100) {
		fields.push({ field: 'limit', message: 'Expected an integer between 1 and 100' });
		return 20;
	}
	return Number(v);
}

export function encodeCursor(v: object): string {
	return Buffer.from(JSON.stringify(v)).toString('base64url');
}

export function decodeCursor<T>(
	q: URLSearchParams,
	fields: FieldError[],
	check: (v: unknown) => v is T,
): T | undefined {
	const c = q.get('cursor');
	if (c === null || c === '') return undefined;
	try {
		const v: unknown = JSON.parse(Buffer.from(c, 'base64url').toString('utf8'));
		if (check(v)) return v;
	} catch {
		// fall through
	}
	fields.push({ field: 'cursor', message: 'Invalid cursor' });
	return undefined;
}

export function checkWorkspaceParam(
	ws: string | null,
	required: boolean,
	fields: FieldError[],
): void {
	if (ws === null || ws === '') {
		if (required) fields.push({ field: 'workspace_id', message: 'Required' });
	} else if (!WS_PATTERN.test(ws)) {
		fields.push({ field: 'workspace_id', message: 'Invalid workspace_id: must start with "ws_"' });
	}
}

// --- workspaces and projects ----------------------------------------------------------

function listWorkspaces(ctx: SimContext): Reply {
	const base = Date.UTC(2024, 0, 15);
	return {
		status: 200,
		body: {
			workspaces: ctx.opts.workspaces.map((w, i) => ({
				workspace_id: w.workspace_id,
				name: w.name,
				created_at: base + i * 86_400_000,
				role: w.role,
			})),
		},
	};
}

function listProjects(ctx: SimContext, q: URLSearchParams): Reply {
	const fields: FieldError[] = [];
	const ws = q.get('workspace_id');
	checkWorkspaceParam(ws, true, fields);
	const limit = parseLimit(q, fields);
	const cursor = decodeCursor(
		q,
		fields,
		(v): v is { offset: number } =>
			!!v &&
			typeof v === 'object' &&
			Number.isInteger((v as { offset?: unknown }).offset) &&
			(v as { offset: number }).offset >= 0,
	);
	if (fields.length) return validationError(fields);
	if (!ctx.store.canSee(ws)) return apiError(404, 'not_found', 'Workspace not found.');
	const query = (q.get('query') ?? '').toLowerCase();
	const all = ctx.store.projects.filter(
		(p) => p.workspace_id === ws && (!query || p.name.toLowerCase().includes(query)),
	);
	const offset = cursor?.offset ?? 0;
	const page = all.slice(offset, offset + limit);
	const next = offset + limit < all.length ? encodeCursor({ offset: offset + limit }) : null;
	return {
		status: 200,
		body: { projects: page, meta: { next_cursor: next, total_estimate: all.length } },
	};
}

function createProject(ctx: SimContext, body: unknown): Reply {
	const fields: FieldError[] = [];
	if (!body || typeof body !== 'object' || Array.isArray(body))
		return validationError([{ field: 'body', message: 'Expected object' }]);
	const b = body as Record<string, unknown>;
	for (const k of Object.keys(b))
		if (k !== 'workspace_id' && k !== 'name')
			fields.push({ field: k, message: 'Unrecognized key' });
	if (typeof b.workspace_id !== 'string')
		fields.push({
			field: 'workspace_id',
			message: b.workspace_id === undefined ? 'Required' : 'Expected string',
		});
	else checkWorkspaceParam(b.workspace_id, true, fields);
	if (typeof b.name !== 'string' || !b.name.length)
		fields.push({
			field: 'name',
			message: b.name === undefined ? 'Required' : 'Expected a non-empty string',
		});
	if (fields.length) return validationError(fields);
	if (!ctx.store.canSee(b.workspace_id as string))
		return apiError(404, 'not_found', 'Workspace not found.');
	const now = Date.now();
	const p = {
		project_id: `prj_${randomBytes(10).toString('hex')}`,
		name: b.name as string,
		workspace_id: b.workspace_id as string,
		origin: 'api',
		created_at: now,
		last_modified: now,
	};
	ctx.store.projects.unshift(p);
	return { status: 201, body: p };
}

// --- assets -----------------------------------------------------------------------------

/** Why a source URL is refused, or undefined when FLORA would fetch it. */
export function sourceProblem(source: string): string | undefined {
	let u: URL;
	try {
		u = new URL(source);
	} catch {
		return 'Must be "signed-url" or a public HTTPS URL';
	}
	if (u.protocol !== 'https:') return `Only https:// URLs can be fetched (got ${u.protocol})`;
	if (u.username || u.password) return 'URLs with credentials are not allowed';
	if (isPrivateHost(u.hostname)) return 'Private, loopback and link-local hosts are not allowed';
	return undefined;
}

function isPrivateHost(hostname: string): boolean {
	const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
	if (
		h === 'localhost' ||
		h.endsWith('.localhost') ||
		h.endsWith('.local') ||
		h.endsWith('.internal')
	)
		return true;
	const v4 = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(h);
	if (v4) return isPrivateV4(v4.slice(1).map(Number));
	if (h.includes(':')) {
		if (h === '::' || h === '::1') return true;
		if (/^f[cd]/.test(h) || /^fe[89ab]/.test(h)) return true;
		const mapped = /^::ffff:(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(h);
		if (mapped) return isPrivateV4(mapped.slice(1).map(Number));
		const hexMapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(h);
		if (hexMapped) {
			const hi = parseInt(hexMapped[1], 16);
			const lo = parseInt(hexMapped[2], 16);
			return isPrivateV4([hi >> 8, hi & 255, lo >> 8, lo & 255]);
		}
	}
	return false;
}

function isPrivateV4([a, b]: number[]): boolean {
	return (
		a === 0 ||
		a === 10 ||
		a === 127 ||
		(a === 169 && b === 254) ||
		(a === 172 && b >= 16 && b <= 31) ||
		(a === 192 && b === 168) ||
		(a === 100 && b >= 64 && b <= 127) ||
		a >= 224
	);
}

function validateCreateFields(
	b: Record<string, unknown>,
	fields: FieldError[],
	direct: boolean,
): void {
	for (const k of Object.keys(b)) {
		if (!CREATE_KEYS.has(k) && k !== 'idempotency_key')
			fields.push({ field: k, message: 'Unrecognized key' });
	}
	for (const k of CREATE_KEYS) {
		if (b[k] !== undefined && typeof b[k] !== 'string')
			fields.push({ field: k, message: `Expected string, received ${typeof b[k]}` });
	}
	if (!direct) {
		if (b.source === undefined) fields.push({ field: 'source', message: 'Required' });
		else if (typeof b.source === 'string' && b.source !== 'signed-url') {
			const problem = sourceProblem(b.source);
			if (problem) fields.push({ field: 'source', message: problem });
		}
	}
	if (b.workspace_id === undefined) fields.push({ field: 'workspace_id', message: 'Required' });
	else if (typeof b.workspace_id === 'string' && !WS_PATTERN.test(b.workspace_id)) {
		fields.push({ field: 'workspace_id', message: 'Invalid workspace_id: must start with "ws_"' });
	}
	if (typeof b.project_id === 'string' && !PRJ_PATTERN.test(b.project_id)) {
		fields.push({ field: 'project_id', message: 'Invalid project_id: must start with "prj_"' });
	}
	if (typeof b.content_type === 'string' && !isAllowedType(b.content_type)) {
		fields.push({
			field: 'content_type',
			message: `Unsupported content type. Allowed: ${[...ALLOWED_CONTENT_TYPES].join(', ')}`,
		});
	}
	if (typeof b.file_name === 'string' && (b.file_name.length === 0 || b.file_name.length > 255)) {
		fields.push({ field: 'file_name', message: 'Must be 1 to 255 characters' });
	}
	if (
		typeof b.folder === 'string' &&
		(b.folder.length > 255 || b.folder.split('/').includes('..'))
	) {
		fields.push({ field: 'folder', message: 'Invalid folder' });
	}
}

/** Workspace and project checks shared by every create path. */
function checkTarget(ctx: SimContext, b: Record<string, unknown>): Reply | undefined {
	const ws = ctx.store.workspace(b.workspace_id as string);
	if (!ws) return apiError(404, 'not_found', 'Workspace not found.');
	if (ws.role === 'viewer')
		return apiError(403, 'forbidden', 'Your role in this workspace does not allow uploads.');
	if (typeof b.project_id === 'string') {
		const p = ctx.store.projects.find(
			(x) => x.project_id === b.project_id && x.workspace_id === ws.workspace_id,
		);
		if (!p) return apiError(404, 'not_found', 'Project not found.');
	}
	return undefined;
}

function createAsset(ctx: SimContext, body: unknown, method: string, path: string): Reply {
	if (!body || typeof body !== 'object' || Array.isArray(body)) {
		return validationError([
			{
				field: 'body',
				message: `Expected object, received ${Array.isArray(body) ? 'array' : typeof body}`,
			},
		]);
	}
	const b = body as Record<string, unknown>;
	const fields: FieldError[] = [];
	validateCreateFields(b, fields, false);
	if (fields.length) return validationError(fields);
	const bad = checkTarget(ctx, b);
	if (bad) return bad;
	const p = {
		workspace_id: b.workspace_id as string,
		project_id: b.project_id as string | undefined,
		file_name: b.file_name as string | undefined,
		folder: b.folder as string | undefined,
		content_type: b.content_type as string | undefined,
	};
	ctx.record.creates++;
	if (b.source === 'signed-url') {
		const a = ctx.store.createSigned(p);
		const form = issueForm(ctx, a, method, path);
		return { status: 201, body: { ...createdBody(a), ...uploadPart(ctx, form) } };
	}
	const a = ctx.store.createFromUrl({ ...p, source: b.source as string });
	return { status: 201, body: createdBody(a) };
}

async function createDirect(
	ctx: SimContext,
	req: IncomingMessage,
	rec: RecordedRequest,
	boundary: string,
	method: string,
): Promise<Reply> {
	const reader = new FormReader(boundary, 'file', undefined, undefined, ctx.opts.directMaxBytes);
	const end = await streamBody(req, rec, (c) => reader.write(c), {});
	const contentLength = headerValue(req, 'content-length');
	ctx.record.uploads.push({
		origin: 'api',
		requestSeq: rec.seq,
		method,
		token: '',
		fields: reader.fields,
		fileField: reader.file?.field,
		fileName: reader.file?.fileName,
		partContentType: reader.file?.contentType,
		size: reader.size,
		sha256: reader.sha256,
		contentLength: contentLength !== undefined ? Number(contentLength) : undefined,
		chunked: /chunked/i.test(headerValue(req, 'transfer-encoding') ?? ''),
		ok: false,
		status: 'pending',
	});
	const up = ctx.record.uploads[ctx.record.uploads.length - 1];
	const done = (reply: Reply): Reply => {
		up.status = reply.status;
		up.ok = reply.status === 201;
		if (!up.ok) up.error = JSON.stringify(reply.body);
		return reply;
	};
	if (end.how !== 'end')
		return done(apiError(400, 'input_validation_error', 'Request body incomplete.'));
	if (reader.error || !reader.parser.finished) {
		return done(
			apiError(
				400,
				'input_validation_error',
				`Malformed multipart body${reader.error ? `: ${reader.error}` : ''}.`,
			),
		);
	}
	const b: Record<string, unknown> = Object.fromEntries(reader.fields);
	delete b.source; // a direct upload needs no source; FLORA ignores one sent along
	const fields: FieldError[] = [];
	validateCreateFields(b, fields, true);
	if (!reader.file) fields.push({ field: 'file', message: 'Required' });
	else if (reader.size > ctx.opts.directMaxBytes) {
		fields.push({
			field: 'file',
			message: `File exceeds the ${ctx.opts.directMaxBytes} byte direct upload limit; use source "signed-url"`,
		});
	}
	if (fields.length) return done(validationError(fields));
	const bad = checkTarget(ctx, b);
	if (bad) return done(bad);
	ctx.record.creates++;
	const a = ctx.store.createDirect({
		workspace_id: b.workspace_id as string,
		project_id: b.project_id as string | undefined,
		file_name: b.file_name as string | undefined,
		folder: b.folder as string | undefined,
		content_type: b.content_type as string | undefined,
		upload: reader.result(),
		bytes: reader.fileBytes(),
	});
	up.assetId = a.asset_id;
	return done({ status: 201, body: { ...createdBody(a), ...sizeFields(a) } });
}

/** How a FLORA without the direct form (or a proxy in front of it) answers one. */
function directRefused(refusal: DirectRefusal): Reply {
	switch (refusal) {
		case 404:
			return apiError(404, 'not_found', 'Not found.');
		case 405:
			return apiError(405, 'method_not_allowed', 'Method not allowed.');
		case 415:
			return apiError(
				415,
				'unsupported_media_type',
				'Unsupported Content-Type multipart/form-data; send application/json.',
			);
		case 'invalid_json':
			return apiError(400, 'invalid_json', 'Invalid JSON body.');
		case 'source_required':
			return validationError([{ field: 'source', message: 'Required' }]);
	}
}

function issueForm(ctx: SimContext, a: AssetState, method: string, path: string): UploadForm {
	const expired = ctx.faults.take('api', method, path, true) !== undefined;
	return ctx.store.issueForm(a, expired);
}

function complete(ctx: SimContext, a: AssetState): Reply {
	if (a.uploaded_via !== 'signed_url') {
		return apiError(
			400,
			'input_validation_error',
			'Only assets created with source "signed-url" can be completed.',
		);
	}
	if (a.status === 'pending_upload' && !a.processing) {
		if (!a.form?.result) {
			return apiError(
				400,
				'input_validation_error',
				'Upload not received. Upload the file to upload.url before completing the asset.',
			);
		}
		ctx.store.finishProcessing(a, ctx.opts.signedReadyAfterPolls);
	}
	a.completes++;
	ctx.record.completes++;
	return { status: 200, body: { ...fullAsset(a), visibility: 'workspace' } };
}

function retry(ctx: SimContext, a: AssetState, method: string, path: string): Reply {
	if (a.uploaded_via !== 'signed_url') {
		return apiError(
			400,
			'input_validation_error',
			'Only assets created with source "signed-url" can be retried.',
		);
	}
	if (a.status === 'ready')
		return apiError(400, 'input_validation_error', 'The asset is already ready; nothing to retry.');
	if (a.processing)
		return apiError(
			400,
			'input_validation_error',
			'The upload is already complete and being processed.',
		);
	const form = issueForm(ctx, a, method, path);
	a.size_bytes = null;
	a.sha256 = null;
	a.width = null;
	a.height = null;
	a.upload_content_type = null;
	ctx.record.retries++;
	return {
		status: 200,
		body: { ...fullAsset(a), visibility: 'workspace', ...uploadPart(ctx, form) },
	};
}

function createdBody(a: AssetState) {
	return {
		asset_id: a.asset_id,
		uploaded_via: a.uploaded_via,
		url: a.url,
		workspace_id: a.workspace_id,
		visibility: 'workspace',
		status: a.status,
		name: a.name,
		file_name: a.name,
		content_type: a.content_type,
		...(a.folder ? { folder: a.folder } : {}),
		...(a.project_id ? { project_id: a.project_id } : {}),
		created_at: a.created_at,
		failure_message: a.failure_message,
	};
}

/** Size and dimensions are only reported once the asset is processed. */
function sizeFields(a: AssetState) {
	const known = a.status !== 'pending_upload';
	return {
		upload_content_type: known ? a.upload_content_type : null,
		size_bytes: known ? a.size_bytes : null,
		width: known ? a.width : null,
		height: known ? a.height : null,
	};
}

export function fullAsset(a: AssetState) {
	return {
		asset_id: a.asset_id,
		status: a.status,
		url: a.url,
		content_type: a.content_type ?? a.upload_content_type ?? 'application/octet-stream',
		...sizeFields(a),
		name: a.name,
		description: a.description,
		created_at: a.created_at,
		failure_message: a.failure_message,
		uploaded_via: a.uploaded_via,
		workspace_id: a.workspace_id,
		project_id: a.project_id,
	};
}

function listItem(a: AssetState) {
	return {
		asset_id: a.asset_id,
		name: a.name,
		description: a.description,
		workspace_id: a.workspace_id,
		url: a.url,
		content_type: a.content_type ?? a.upload_content_type ?? 'application/octet-stream',
		...sizeFields(a),
		uploaded_via: a.uploaded_via,
		status: a.status,
		created_at: a.created_at_ms,
		node_id: null,
		project_id: a.project_id,
	};
}

function uploadPart(ctx: SimContext, form: UploadForm) {
	if (form.style === 'put') {
		const qs = new URLSearchParams(form.fields).toString();
		return {
			upload_url: `${ctx.origins.upload}${PUT_PATH_PREFIX}${encodeURIComponent(form.token)}?${qs}`,
			expires_at: form.expiresAt,
		};
	}
	const url = `${ctx.origins.upload}${UPLOAD_PATH}`;
	const formFields = Object.fromEntries(form.fields);
	if (ctx.opts.signedUploadStyle === 'policy') {
		return { upload_url: JSON.stringify({ url, fields: formFields }), expires_at: form.expiresAt };
	}
	const snake = {
		url,
		method: 'POST',
		content_type: 'multipart/form-data',
		file_field: form.fileField,
		form_fields: formFields,
	};
	const camel = {
		url,
		method: 'POST',
		contentType: 'multipart/form-data',
		fileField: form.fileField,
		formFields,
	};
	const shape = ctx.opts.uploadShape;
	return {
		upload: shape === 'snake' ? snake : shape === 'camel' ? camel : { ...snake, ...camel },
		upload_url: url,
		expires_at: form.expiresAt,
	};
}

function listAssets(ctx: SimContext, q: URLSearchParams): Reply {
	const fields: FieldError[] = [];
	const ws = q.get('workspace_id');
	checkWorkspaceParam(ws, false, fields);
	const project = q.get('project_id');
	if (project && !PRJ_PATTERN.test(project))
		fields.push({ field: 'project_id', message: 'Invalid project_id: must start with "prj_"' });
	const limit = parseLimit(q, fields);
	const cursor = decodeCursor(
		q,
		fields,
		(v): v is { t: number; s: number } =>
			!!v &&
			typeof v === 'object' &&
			typeof (v as { t?: unknown }).t === 'number' &&
			typeof (v as { s?: unknown }).s === 'number',
	);
	if (fields.length) return validationError(fields);
	if (ws && !ctx.store.canSee(ws)) return apiError(404, 'not_found', 'Workspace not found.');
	const query = (q.get('query') ?? '').toLowerCase();
	const matches = [...ctx.store.assets.values()]
		.filter(
			(a) =>
				ctx.store.canSee(a.workspace_id) &&
				(!ws || a.workspace_id === ws) &&
				(!project || a.project_id === project) &&
				(!query || (a.name ?? '').toLowerCase().includes(query)),
		)
		.sort((x, y) => y.created_at_ms - x.created_at_ms || y.seq - x.seq);
	// Keyset cursor (last item's created_at and sequence): stable while assets are added.
	const after = cursor
		? matches.filter(
				(a) => a.created_at_ms < cursor.t || (a.created_at_ms === cursor.t && a.seq < cursor.s),
			)
		: matches;
	const page = after.slice(0, limit);
	const last = page[page.length - 1];
	const next =
		after.length > limit && last ? encodeCursor({ t: last.created_at_ms, s: last.seq }) : null;
	return {
		status: 200,
		body: {
			assets: page.map(listItem),
			meta: { next_cursor: next, total_estimate: matches.length },
		},
	};
}
