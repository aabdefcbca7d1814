/**
 * FLORA's generative side (FLORA_API.md, "Beyond assets"): models, generation, techniques,
 * runs, project nodes and attach. The state lives in `Generative`; `routeGenerative` answers
 * the API paths it owns and leaves every other path to the asset routes.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import {
	apiError,
	checkWorkspaceParam,
	decodeCursor,
	encodeCursor,
	fingerprint,
	idempotent,
	jsonBody,
	parseLimit,
	sourceProblem,
	validationError,
} from './api';
import { Callbacks } from './callbacks';
import {
	defaultModel,
	MODELS,
	paramProblems,
	TECHNIQUES,
	techniqueView,
	type GenType,
	type Model,
	type Technique,
} from './catalog';
import { Cdn } from './cdn';
import type {
	CallbackFault,
	CdnFault,
	GenerativeControls,
	RecordedRun,
	RunFault,
	RunStatus,
	RunType,
} from './generative-types';
import { RUN_ERROR_CODES } from './generative-types';
import type { Reply } from './http';
import { RunEngine, type RunSpec, type RunState } from './runs';
import type { SimContext } from './store';
import type { RecordedRequest } from './types';

interface FieldError {
	field: string;
	message: string;
}

export const GENERATIVE_DEFAULTS = {
	cdnPort: 0,
	runDurationMs: 4000,
	runPendingShare: 0.2,
	runDurationOverrides: {} as Record<string, number>,
	largeOutputBytes: 512 * 1024 ** 2,
	webhookSecrets: {} as Record<string, string>,
	callbackRetries: 3,
	callbackBackoffMs: 1000,
	callbackTimeoutMs: 10_000,
	cdnAuthorization: 'ignore' as 'ignore' | 'refuse',
};

const WS = /^ws_\S+$/;
const PRJ = /^prj_\S+$/;
/** Shape of a well-formed project id; others answer 500, as FLORA has been seen to. */
const PRJ_WELL_FORMED = /^prj_[A-Za-z0-9_-]+$/;
const RUN_STATUSES = new Set<RunStatus>(['pending', 'running', 'completed', 'failed']);
const GEN_TYPES = new Set<GenType>(['image', 'video', 'audio', 'text']);
const BODY_IDEMPOTENCY_TTL_MS = 24 * 3600 * 1000;

export interface ProjectNode {
	node_id: string;
	type: string;
	asset_id?: string;
	url?: string;
	label?: string;
}

export class Generative {
	readonly cdn: Cdn;
	readonly engine: RunEngine;
	readonly callbacks: Callbacks;
	readonly nodes = new Map<string, ProjectNode[]>();
	private secrets = new Map<string, string>();
	private bodyKeys = new Map<string, { fingerprint: string; runId: string; expires: number }>();

	constructor(private readonly ctx: () => SimContext) {
		const c = ctx;
		this.cdn = new Cdn(
			c().record.downloads,
			(id) => c().store.assets.get(id),
			() => c().opts.cdnAuthorization,
		);
		this.callbacks = new Callbacks(c().record.callbacks, {
			secret: (ws) => this.webhookSecret(ws),
			retries: () => c().opts.callbackRetries,
			backoffMs: () => c().opts.callbackBackoffMs,
			timeoutMs: () => c().opts.callbackTimeoutMs,
		});
		this.engine = new RunEngine(c().record.runs, this.cdn, {
			durationMs: (spec) => {
				const o = c().opts.runDurationOverrides;
				const keys = [spec.model?.model_id, spec.technique?.technique_id, spec.technique?.slug];
				for (const k of keys) if (k && o[k] !== undefined) return o[k];
				return c().opts.runDurationMs;
			},
			pendingShare: () => c().opts.runPendingShare,
			largeOutputBytes: () => c().opts.largeOutputBytes,
			apiBaseUrl: () => `${c().origins.api}/api/v1`,
			ended: (run) => this.ended(run),
		});
	}

	reset(): void {
		this.engine.reset();
		this.callbacks.reset();
		this.cdn.reset();
		this.nodes.clear();
		this.secrets.clear();
		this.bodyKeys.clear();
	}

	webhookSecret(workspaceId?: string): string {
		const ws = workspaceId ?? this.ctx().opts.workspaces[0]?.workspace_id ?? 'ws_demo';
		return this.secrets.get(ws) ?? this.ctx().opts.webhookSecrets[ws] ?? `whsec_sim_${ws.slice(3)}`;
	}

	private ended(run: RunState): void {
		const r = run.rec;
		if (r.status === 'completed' && r.project_id) {
			const list = this.projectNodes(r.project_id);
			for (const o of r.outputs) {
				list.push({
					node_id: `node_${randomBytes(8).toString('hex')}`,
					type: o.type === 'text' ? 'text' : o.type.replace(/Url$/, ''),
					url: o.url,
					label: run.model?.name ?? run.technique?.name,
				});
			}
		}
		if (run.callbackFault?.kind === 'early')
			run.visibleEndAt = Date.now() + (run.callbackFault.lagMs ?? 1000);
		this.callbacks.deliver(run);
	}

	projectNodes(projectId: string): ProjectNode[] {
		let list = this.nodes.get(projectId);
		if (!list) {
			const h = createHash('sha1').update(projectId).digest('hex').slice(0, 16);
			list = [{ node_id: `node_${h}`, type: 'text', label: 'Brief' }];
			this.nodes.set(projectId, list);
		}
		return list;
	}

	/** Body `idempotency_key` (24 h): the earlier run for the same body, or a conflict. */
	bodyKeySeen(apiKey: string, key: string, fp: string): RunState | 'conflict' | undefined {
		const id = `${apiKey}\n${key}`;
		const e = this.bodyKeys.get(id);
		if (!e || e.expires < Date.now()) return undefined;
		if (e.fingerprint !== fp) return 'conflict';
		return this.engine.runs.get(e.runId);
	}

	rememberBodyKey(apiKey: string, key: string, fp: string, runId: string): void {
		this.bodyKeys.set(`${apiKey}\n${key}`, {
			fingerprint: fp,
			runId,
			expires: Date.now() + BODY_IDEMPOTENCY_TTL_MS,
		});
	}

	controls(): GenerativeControls {
		const snap = (r: RecordedRun): RecordedRun => JSON.parse(JSON.stringify(r)) as RecordedRun;
		const cdn = this.cdn;
		return {
			get cdnOrigin() {
				return cdn.origin;
			},
			webhookSecret: (ws) => this.webhookSecret(ws),
			rotateWebhookSecret: (ws, next) => {
				const id = ws ?? this.ctx().opts.workspaces[0].workspace_id;
				const prev = this.webhookSecret(id);
				this.secrets.set(id, next ?? `whsec_${randomBytes(16).toString('hex')}`);
				return prev;
			},
			injectRunFault: (f: RunFault) => {
				if (f.kind !== 'fail' && f.kind !== 'hang')
					throw new Error(`unknown run fault kind ${String((f as { kind?: unknown }).kind)}`);
				if (f.kind === 'fail' && typeof f.code !== 'string')
					throw new Error('a fail run fault needs a code');
				this.engine.runFaults.add(f);
			},
			injectCallbackFault: (f: CallbackFault) => {
				const kinds = ['duplicate', 'early', 'wrongSecret', 'expired', 'unsigned', 'rotated'];
				if (!kinds.includes(f.kind))
					throw new Error(`unknown callback fault kind ${String(f.kind)}`);
				this.engine.callbackFaults.add(f);
			},
			injectCdnFault: (f: CdnFault) => this.cdn.inject(f),
			clearFaults: () => {
				this.engine.runFaults.clear();
				this.engine.callbackFaults.clear();
				this.cdn.clearFaults();
			},
			runs: (filter) =>
				[...this.engine.runs.values()]
					.map((r) => r.rec)
					.filter(
						(r) =>
							(!filter?.status || r.status === filter.status) &&
							(!filter?.runType || r.run_type === filter.runType),
					)
					.map(snap),
			run: (id) => {
				const r = this.engine.runs.get(id);
				return r ? snap(r.rec) : undefined;
			},
			finishRun: (id, outcome) => {
				const r = this.engine.runs.get(id);
				if (!r) throw new Error(`no run ${id}`);
				if (outcome) this.engine.fail(r, outcome.code, outcome.message);
				else this.engine.complete(r);
				return snap(r.rec);
			},
			file: async (u) => {
				const f = await this.cdn.file(u);
				if (!f) throw new Error(`no CDN file at ${u}`);
				return f;
			},
			assetFile: async (id) => {
				const a = this.ctx().store.assets.get(id);
				return a ? this.cdn.file(a.url) : undefined;
			},
			callbacksIdle: () => this.callbacks.idle(),
		};
	}

	/** Faults of the generative side, for the control API. */
	listFaults() {
		return {
			run: this.engine.runFaults.list(),
			callback: this.engine.callbackFaults.list(),
			cdn: this.cdn.listFaults(),
		};
	}
}

// --- routes -------------------------------------------------------------------------------

/** Answers the generative paths; undefined for paths the asset routes own. */
export async function routeGenerative(
	ctx: SimContext,
	req: IncomingMessage,
	url: URL,
	segs: string[],
	method: string,
	rec: RecordedRequest,
	apiKey: string,
): Promise<Reply | undefined> {
	const g = ctx.gen;
	const q = url.searchParams;
	const [s0, s1, s2, s3, s4] = segs;
	const n = segs.length;
	const post = (apply: (body: unknown, raw: Buffer) => Reply | Promise<Reply>) =>
		postJson(ctx, req, rec, apiKey, method, url.pathname, apply);

	if (s0 === 'models' && n === 1 && method === 'GET') return listModels(q);
	if (s0 === 'generate' && n === 1 && method === 'POST')
		return post((body) => createGeneration(ctx, body, rec, apiKey));
	if (s0 === 'runs' && n === 2 && method === 'GET') {
		const run = g.engine.runs.get(s1);
		if (!run || !ctx.store.canSee(run.rec.workspace_id))
			return apiError(404, 'not_found', 'Run not found.');
		run.rec.polls++;
		return { status: 200, body: g.engine.view(run) };
	}
	if (s0 === 'generations' && n === 1 && method === 'GET') return listRuns(ctx, q, 'generation');
	if (s0 === 'technique-runs' && n === 1 && method === 'GET') return listRuns(ctx, q, 'technique');
	if (s0 === 'techniques') {
		if (n === 1 && method === 'GET') return listTechniques(ctx, q);
		const t = s1 !== undefined ? findTechnique(s1) : undefined;
		if (n === 2 && method === 'GET')
			return t
				? { status: 200, body: techniqueView(t) }
				: apiError(404, 'not_found', 'Technique not found.');
		if (n === 3 && s2 === 'runs' && method === 'POST')
			return post((body, raw) => createTechniqueRun(ctx, t, body, raw, rec, apiKey));
		if (n === 4 && s2 === 'runs' && method === 'GET') {
			const run = g.engine.runs.get(s3);
			if (
				!t ||
				!run ||
				run.technique?.technique_id !== t.technique_id ||
				!ctx.store.canSee(run.rec.workspace_id)
			)
				return apiError(404, 'not_found', 'Run not found.');
			run.rec.polls++;
			return { status: 200, body: g.engine.view(run) };
		}
	}
	if (s0 === 'projects' && n >= 2) {
		const own =
			(n === 2 && method === 'GET') ||
			(n === 3 && s2 === 'nodes' && method === 'GET') ||
			(n === 5 && s2 === 'assets' && s4 === 'attach' && method === 'POST');
		if (!own) return undefined;
		if (!PRJ_WELL_FORMED.test(s1)) return apiError(500, 'unknown_error', 'Internal server error.');
		if (n === 2) return undefined; // the asset routes answer GET /projects/{id}
		const p = ctx.store.projects.find(
			(x) => x.project_id === s1 && ctx.store.canSee(x.workspace_id),
		);
		if (n === 3) {
			if (!p) return apiError(404, 'not_found', 'Project not found.');
			return { status: 200, body: { nodes: g.projectNodes(p.project_id) } };
		}
		return post(() => attachAsset(ctx, p, s3));
	}
	return undefined;
}

/** A POST with a JSON body (or none), under the Idempotency-Key header rules of /assets. */
async function postJson(
	ctx: SimContext,
	req: IncomingMessage,
	rec: RecordedRequest,
	apiKey: string,
	method: string,
	pathname: string,
	apply: (body: unknown, raw: Buffer) => Reply | Promise<Reply>,
): Promise<Reply> {
	const body = await jsonBody(req, rec);
	let value: unknown;
	let raw: Buffer;
	if ('status' in body) {
		// An empty body is fine where none is expected (attach); apply() validates the rest.
		if (rec.bodyBytes > 0) return body;
		value = undefined;
		raw = Buffer.alloc(0);
	} else {
		value = body.value;
		raw = body.raw;
	}
	return idempotent(ctx, apiKey, req, rec, fingerprint(method, pathname, raw), undefined, () =>
		apply(value, raw),
	);
}

function listModels(q: URLSearchParams): Reply {
	const type = q.get('type');
	if (type && !GEN_TYPES.has(type as GenType))
		return validationError([
			{ field: 'type', message: 'Expected one of image, video, audio, text' },
		]);
	return { status: 200, body: { models: MODELS.filter((m) => !type || m.type === type) } };
}

function isObject(v: unknown): v is Record<string, unknown> {
	return !!v && typeof v === 'object' && !Array.isArray(v);
}

function callbackProblem(v: unknown): string | undefined {
	if (typeof v !== 'string') return 'Expected string';
	try {
		const u = new URL(v);
		// FLORA wants a public HTTPS URL; the simulator also takes http so tests can listen on loopback.
		if (u.protocol !== 'https:' && u.protocol !== 'http:') return 'Must be an http(s) URL';
		if (u.username || u.password) return 'URLs with credentials are not allowed';
	} catch {
		return 'Must be a valid URL';
	}
	return undefined;
}

function workspaceTarget(
	ctx: SimContext,
	ws: string,
	projectId: unknown,
): Reply | { project_id: string | null } {
	const w = ctx.store.workspace(ws);
	if (!w) return apiError(404, 'not_found', 'Workspace not found.');
	if (w.role === 'viewer')
		return apiError(403, 'forbidden', 'Your role in this workspace does not allow runs.');
	if (typeof projectId === 'string') {
		const p = ctx.store.projects.find((x) => x.project_id === projectId && x.workspace_id === ws);
		if (!p) return apiError(404, 'not_found', 'Project not found.');
		return { project_id: projectId };
	}
	return { project_id: null };
}

function stableJson(v: unknown): string {
	if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
	if (isObject(v))
		return `{${Object.keys(v)
			.sort()
			.map((k) => `${JSON.stringify(k)}:${stableJson(v[k])}`)
			.join(',')}}`;
	return JSON.stringify(v);
}

const GENERATE_KEYS = new Set([
	'type',
	'prompt',
	'workspace_id',
	'project_id',
	'model',
	'params',
	'callback_url',
	'idempotency_key',
]);

function createGeneration(
	ctx: SimContext,
	body: unknown,
	rec: RecordedRequest,
	apiKey: string,
): Reply {
	if (!isObject(body)) return validationError([{ field: 'body', message: 'Expected object' }]);
	const fields: FieldError[] = [];
	for (const k of Object.keys(body))
		if (!GENERATE_KEYS.has(k)) fields.push({ field: k, message: 'Unrecognized key' });
	const type = body.type;
	if (type === undefined) fields.push({ field: 'type', message: 'Required' });
	else if (!GEN_TYPES.has(type as GenType))
		fields.push({ field: 'type', message: 'Expected one of image, video, audio, text' });
	if (typeof body.prompt !== 'string' || !body.prompt.trim())
		fields.push({
			field: 'prompt',
			message: body.prompt === undefined ? 'Required' : 'Expected a non-empty string',
		});
	requireId(body, 'workspace_id', WS, 'ws_', fields);
	requireId(body, 'project_id', PRJ, 'prj_', fields);
	let model: Model | undefined;
	if (body.model !== undefined) {
		if (typeof body.model !== 'string') fields.push({ field: 'model', message: 'Expected string' });
		else if (GEN_TYPES.has(type as GenType)) {
			model = MODELS.find((m) => m.model_id === body.model && m.type === type);
			if (!model)
				fields.push({ field: 'model', message: `Unknown model ${body.model} for type ${type}` });
		}
	} else if (GEN_TYPES.has(type as GenType)) model = defaultModel(type as GenType);
	if (body.params !== undefined && !isObject(body.params))
		fields.push({ field: 'params', message: 'Expected object' });
	else if (model)
		fields.push(...paramProblems(model, (body.params as Record<string, unknown>) ?? {}));
	if (body.callback_url !== undefined) {
		const p = callbackProblem(body.callback_url);
		if (p) fields.push({ field: 'callback_url', message: p });
	}
	if (body.idempotency_key !== undefined && typeof body.idempotency_key !== 'string')
		fields.push({ field: 'idempotency_key', message: 'Expected string' });
	if (fields.length) return validationError(fields);
	const target = workspaceTarget(ctx, body.workspace_id as string, body.project_id);
	if ('status' in target) return target;
	const m = model!;
	const params = (body.params as Record<string, unknown>) ?? {};
	const count = typeof params.num_images === 'number' ? params.num_images : 1;
	const cost = Math.round(m.estimated_credits * count) / 100;
	const bodyKey = body.idempotency_key as string | undefined;
	const fp = stableJson(body);
	if (bodyKey) {
		const seen = ctx.gen.bodyKeySeen(apiKey, bodyKey, fp);
		if (seen === 'conflict') return conflict(ctx);
		if (seen) return { status: 200, body: generationCreated(ctx, seen) };
	}
	const run = ctx.gen.engine.create({
		runType: 'generation',
		workspace_id: body.workspace_id as string,
		project_id: target.project_id,
		model: m,
		prompt: body.prompt as string,
		params,
		callback_url: body.callback_url as string | undefined,
		idempotency_key: rec.idempotencyKey,
		body_idempotency_key: bodyKey,
		charged_cost: cost,
	});
	if (bodyKey) ctx.gen.rememberBodyKey(apiKey, bodyKey, fp, run.rec.run_id);
	return { status: 201, body: generationCreated(ctx, run) };
}

function conflict(ctx: SimContext): Reply {
	ctx.record.duplicatesPrevented++;
	return apiError(
		422,
		'idempotency_conflict',
		'This idempotency_key was already used with a different request body.',
	);
}

function generationCreated(ctx: SimContext, run: RunState) {
	return {
		run_id: run.rec.run_id,
		type: 'generation',
		estimated_seconds: Math.max(1, Math.ceil(run.rec.duration_ms / 1000)),
		charged_cost: run.rec.charged_cost,
		poll_url: run.poll_url,
		project_id: run.rec.project_id,
		model: { model_id: run.model!.model_id },
	};
}

function requireId(
	b: Record<string, unknown>,
	key: string,
	pattern: RegExp,
	prefix: string,
	fields: FieldError[],
): void {
	const v = b[key];
	if (v === undefined) fields.push({ field: key, message: 'Required' });
	else if (typeof v !== 'string') fields.push({ field: key, message: 'Expected string' });
	else if (!pattern.test(v))
		fields.push({ field: key, message: `Invalid ${key}: must start with "${prefix}"` });
}

function findTechnique(idOrSlug: string): Technique | undefined {
	return TECHNIQUES.find((t) => t.technique_id === idOrSlug || t.slug === idOrSlug);
}

function techniqueVisible(t: Technique, ws: string | null): boolean {
	return !ws || !t.workspaces || t.workspaces.includes(ws);
}

function listTechniques(ctx: SimContext, q: URLSearchParams): Reply {
	const fields: FieldError[] = [];
	const ws = q.get('workspace_id');
	checkWorkspaceParam(ws, false, fields);
	const limit = parseLimit(q, fields);
	const cursor = decodeCursor(q, fields, isOffset);
	if (fields.length) return validationError(fields);
	if (ws && !ctx.store.canSee(ws)) return apiError(404, 'not_found', 'Workspace not found.');
	const query = (q.get('query') ?? '').toLowerCase();
	const all = TECHNIQUES.filter(
		(t) =>
			techniqueVisible(t, ws) &&
			(!query ||
				t.name.toLowerCase().includes(query) ||
				(t.description ?? '').toLowerCase().includes(query)),
	);
	const offset = cursor?.offset ?? 0;
	const page = all.slice(offset, offset + limit);
	const next = offset + limit < all.length ? encodeCursor({ offset: offset + limit }) : null;
	return {
		status: 200,
		body: { techniques: page.map(techniqueView), meta: { next_cursor: next } },
	};
}

function isOffset(v: unknown): v is { offset: number } {
	return isObject(v) && Number.isInteger(v.offset) && (v as { offset: number }).offset >= 0;
}

const TECHNIQUE_RUN_KEYS = new Set([
	'workspace_id',
	'project_id',
	'inputs',
	'mode',
	'callback_url',
	'idempotency_key',
]);

/** Media inputs FLORA would fetch: public HTTPS hosts, and the simulator's own origins. */
function mediaProblem(ctx: SimContext, v: string): string | undefined {
	let u: URL;
	try {
		u = new URL(v);
	} catch {
		return 'Must be an HTTPS URL';
	}
	const own = [ctx.gen.cdn.origin, ctx.origins.api, ctx.origins.upload].filter(Boolean);
	if (own.includes(u.origin)) return undefined;
	return sourceProblem(v);
}

function createTechniqueRun(
	ctx: SimContext,
	t: Technique | undefined,
	body: unknown,
	_raw: Buffer,
	rec: RecordedRequest,
	apiKey: string,
): Reply {
	if (!t) return apiError(404, 'not_found', 'Technique not found.');
	if (!isObject(body)) return validationError([{ field: 'body', message: 'Expected object' }]);
	const fields: FieldError[] = [];
	for (const k of Object.keys(body))
		if (!TECHNIQUE_RUN_KEYS.has(k)) fields.push({ field: k, message: 'Unrecognized key' });
	// The SDK's body has no workspace_id (the key's first workspace is used); the docs' has one.
	if (body.workspace_id !== undefined) requireId(body, 'workspace_id', WS, 'ws_', fields);
	if (body.project_id !== undefined) requireId(body, 'project_id', PRJ, 'prj_', fields);
	if (body.mode !== undefined && body.mode !== 'async')
		fields.push({
			field: 'mode',
			message:
				body.mode === 'stream' ? 'The simulator runs techniques async only' : 'Expected "async"',
		});
	if (body.callback_url !== undefined) {
		const p = callbackProblem(body.callback_url);
		if (p) fields.push({ field: 'callback_url', message: p });
	}
	if (body.idempotency_key !== undefined && typeof body.idempotency_key !== 'string')
		fields.push({ field: 'idempotency_key', message: 'Expected string' });
	if (!Array.isArray(body.inputs))
		fields.push({
			field: 'inputs',
			message: body.inputs === undefined ? 'Required' : 'Expected array',
		});
	else {
		const seen = new Set<string>();
		const inputs: unknown[] = body.inputs;
		for (let i = 0; i < inputs.length; i++) {
			const input = inputs[i];
			const at = `inputs[${i}]`;
			if (!isObject(input)) {
				fields.push({ field: at, message: 'Expected object' });
				continue;
			}
			const io = t.inputs.find((x) => x.id === input.id);
			if (!io) {
				fields.push({
					field: `${at}.id`,
					message: `Unknown input ${String(input.id)}; expected one of ${t.inputs.map((x) => x.id).join(', ')}`,
				});
				continue;
			}
			if (seen.has(io.id) && !io.allow_multiple)
				fields.push({ field: `${at}.id`, message: `Input ${io.id} takes one value` });
			seen.add(io.id);
			if (input.type !== io.type)
				fields.push({ field: `${at}.type`, message: `Expected ${io.type} for input ${io.id}` });
			const values = Array.isArray(input.value) && io.allow_multiple ? input.value : [input.value];
			for (const v of values) {
				if (typeof v !== 'string' || !v) {
					fields.push({ field: `${at}.value`, message: 'Expected a non-empty string' });
					break;
				}
				if (io.type !== 'text') {
					const p = mediaProblem(ctx, v);
					if (p) {
						fields.push({ field: `${at}.value`, message: p });
						break;
					}
				}
			}
		}
		for (const io of t.inputs)
			if (!io.optional && !seen.has(io.id))
				fields.push({ field: `inputs.${io.id}`, message: `Required input ${io.name} is missing` });
	}
	if (fields.length) return validationError(fields);
	const ws =
		(body.workspace_id as string | undefined) ?? ctx.opts.workspaces[0]?.workspace_id ?? 'ws_demo';
	if (!techniqueVisible(t, ws)) return apiError(404, 'not_found', 'Technique not found.');
	const target = workspaceTarget(ctx, ws, body.project_id);
	if ('status' in target) return target;
	const bodyKey = body.idempotency_key as string | undefined;
	const fp = stableJson({ ...body, technique: t.technique_id });
	if (bodyKey) {
		const seen = ctx.gen.bodyKeySeen(apiKey, bodyKey, fp);
		if (seen === 'conflict') return conflict(ctx);
		if (seen) return { status: 200, body: ctx.gen.engine.view(seen) };
	}
	const spec: RunSpec = {
		runType: 'technique',
		workspace_id: ws,
		project_id: target.project_id,
		technique: t,
		callback_url: body.callback_url as string | undefined,
		idempotency_key: rec.idempotencyKey,
		body_idempotency_key: bodyKey,
		charged_cost: t.run_cost,
	};
	const run = ctx.gen.engine.create(spec);
	if (bodyKey) ctx.gen.rememberBodyKey(apiKey, bodyKey, fp, run.rec.run_id);
	return { status: 201, body: ctx.gen.engine.view(run) };
}

function listRuns(ctx: SimContext, q: URLSearchParams, runType: RunType): Reply {
	const fields: FieldError[] = [];
	const ws = q.get('workspace_id');
	checkWorkspaceParam(ws, false, fields);
	const project = q.get('project_id');
	if (project && !PRJ.test(project))
		fields.push({ field: 'project_id', message: 'Invalid project_id: must start with "prj_"' });
	const status = q.get('status');
	if (status && !RUN_STATUSES.has(status as RunStatus))
		fields.push({
			field: 'status',
			message: 'Expected one of pending, running, completed, failed',
		});
	const technique = runType === 'technique' ? q.get('technique_id') : null;
	const limit = parseLimit(q, fields);
	const cursor = decodeCursor(
		q,
		fields,
		(v): v is { s: number } => isObject(v) && Number.isInteger(v.s),
	);
	if (fields.length) return validationError(fields);
	if (ws && !ctx.store.canSee(ws)) return apiError(404, 'not_found', 'Workspace not found.');
	const engine = ctx.gen.engine;
	const matches = [...engine.runs.values()]
		.filter((r) => {
			const v = r.rec;
			if (v.run_type !== runType || !ctx.store.canSee(v.workspace_id)) return false;
			if (ws && v.workspace_id !== ws) return false;
			if (project && v.project_id !== project) return false;
			if (technique && r.technique?.technique_id !== technique && r.technique?.slug !== technique)
				return false;
			if (status && engine.view(r).status !== status) return false;
			return true;
		})
		.sort((a, b) => b.seq - a.seq);
	const after = cursor ? matches.filter((r) => r.seq < cursor.s) : matches;
	const page = after.slice(0, limit);
	const last = page[page.length - 1];
	const next = after.length > limit && last ? encodeCursor({ s: last.seq }) : null;
	const items = page.map((r) => {
		const base = {
			...engine.view(r),
			workspace_id: r.rec.workspace_id,
			project_id: r.rec.project_id,
		};
		return runType === 'generation'
			? { ...base, generation_id: r.generation_id, model: { model_id: r.model!.model_id } }
			: { ...base, technique_id: r.technique!.technique_id };
	});
	return {
		status: 200,
		body: {
			[runType === 'generation' ? 'generations' : 'technique_runs']: items,
			meta: { next_cursor: next },
		},
	};
}

function attachAsset(
	ctx: SimContext,
	p: { project_id: string; workspace_id: string } | undefined,
	assetId: string,
): Reply {
	if (!p) return apiError(404, 'not_found', 'Project not found.');
	const a = ctx.store.assets.get(assetId);
	if (!a || a.workspace_id !== p.workspace_id || !ctx.store.canSee(a.workspace_id))
		return apiError(404, 'not_found', 'Asset not found.');
	if (a.status === 'pending_upload')
		return apiError(
			409,
			'asset_not_ready',
			`Asset ${a.asset_id} is still pending_upload; attach it once it is ready.`,
		);
	if (a.status === 'failed')
		return validationError([
			{ field: 'asset_id', message: `Asset ${a.asset_id} failed and cannot be attached` },
		]);
	const nodes = ctx.gen.projectNodes(p.project_id);
	let node = nodes.find((x) => x.asset_id === a.asset_id);
	if (!node) {
		const ct = a.content_type ?? a.upload_content_type ?? '';
		node = {
			node_id: `node_${randomBytes(8).toString('hex')}`,
			type: ct.startsWith('video/')
				? 'video'
				: ct.startsWith('audio/')
					? 'audio'
					: ct === 'application/pdf'
						? 'document'
						: 'image',
			asset_id: a.asset_id,
			url: a.url,
			label: a.name ?? a.asset_id,
		};
		nodes.push(node);
	}
	return {
		status: 200,
		body: {
			asset_id: a.asset_id,
			canvas_url: `https://app.flora.ai/projects/${p.project_id}?node=${node.node_id}`,
			node_id: node.node_id,
			project_id: p.project_id,
		},
	};
}

export { RUN_ERROR_CODES };
