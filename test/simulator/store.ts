import { createHash, createHmac, randomBytes, randomUUID } from 'node:crypto';
import type { FaultQueue } from './faults';
import { GENERATIVE_DEFAULTS, type Generative } from './generative';
import { extFor, fakeMetadata, isAllowedType, typeFromName } from './media';
import type { Recorder } from './record';
import type { Asset, AssetStatus, ResolvedOptions, SimulatorOptions, UploadedVia } from './types';

export interface SimContext {
	opts: ResolvedOptions;
	store: Store;
	faults: FaultQueue;
	record: Recorder;
	origins: { api: string; upload: string; redirect: string };
	log(message: string): void;
	/** Generation, techniques, runs, CDN and callbacks. */
	gen: Generative;
}

export const DEFAULT_WORKSPACES = [
	{ workspace_id: 'ws_demo', name: 'Demo Workspace', role: 'owner' },
	{ workspace_id: 'ws_studio', name: 'Studio', role: 'owner' },
	{ workspace_id: 'ws_archive', name: 'Archive', role: 'owner' },
];

export function resolveOptions(o: SimulatorOptions, base?: ResolvedOptions): ResolvedOptions {
	const d: ResolvedOptions = base ?? {
		host: '127.0.0.1',
		apiPort: 0,
		uploadPort: 0,
		redirectPort: 0,
		apiKeys: ['sk_live_simulator'],
		workspaces: DEFAULT_WORKSPACES,
		projectsPerWorkspace: 7,
		urlReadyAfterPolls: 2,
		urlFailShare: 0,
		signedReadyAfterPolls: 0,
		latencyMs: 0,
		uploadTtlSeconds: 3600,
		uploadShape: 'snake',
		signedUploadStyle: 'form',
		uploadMaxBytes: 2 * 1024 ** 3,
		directMaxBytes: 4 * 1024 ** 2,
		directRefusal: null,
		quiet: false,
		...GENERATIVE_DEFAULTS,
	};
	const out = { ...d };
	for (const [k, v] of Object.entries(o)) {
		if (v !== undefined) (out as Record<string, unknown>)[k] = v;
	}
	out.workspaces = out.workspaces.map((w) => ({ ...w, role: w.role ?? 'owner' }));
	if (!out.apiKeys.length) throw new Error('apiKeys must not be empty');
	return out;
}

export interface UploadResult {
	size: number;
	sha256: string;
	contentType: string | undefined;
	fileName: string | undefined;
	width: number | null;
	height: number | null;
}

export interface UploadForm {
	token: string;
	assetId: string;
	/** Issued fields, in issued order. */
	fields: Array<[string, string]>;
	fileField: string;
	expireUnix: number;
	expiresAt: string;
	style: 'form' | 'put';
	state: 'issued' | 'used' | 'superseded';
	result?: UploadResult;
}

export interface AssetState extends Asset {
	seq: number;
	/** Waiting for polls before `outcome` applies (URL fetch, or processing after complete). */
	processing: boolean;
	pendingPolls: number;
	outcome: { status: AssetStatus; failure_message: string | null } | null;
	form: UploadForm | null;
}

export interface Project {
	project_id: string;
	name: string;
	workspace_id: string;
	origin: string | null;
	created_at: number;
	last_modified: number | null;
}

const PROJECT_NAMES = [
	'Spring Campaign',
	'Product Shots',
	'Brand Refresh',
	'Social Teasers',
	'Lookbook',
	'Holiday Promo',
	'Moodboards',
	'Packaging',
	'Launch Video',
	'Editorial',
];

const IDEMPOTENCY_TTL_MS = 2 * 3600 * 1000;
const BODY_IDEMPOTENCY_TTL_MS = 24 * 3600 * 1000;
const SIGNING_KEY = 'private_simulator_key';
export const PUBLIC_KEY = 'public_SIMULATOR+/k3y=';

export function newId(prefix: string): string {
	return `${prefix}_${randomBytes(12).toString('hex')}`;
}

export class Store {
	assets = new Map<string, AssetState>();
	forms = new Map<string, UploadForm>();
	projects: Project[] = [];
	private idempotency = new Map<string, Map<string, { expires: number; fingerprint: string }>>();
	private assetSeq = 0;
	private urlAssetCount = 0;

	constructor(private readonly ctx: () => SimContext) {
		this.seedProjects();
	}

	private get opts() {
		return this.ctx().opts;
	}

	reset(): void {
		this.assets.clear();
		this.forms.clear();
		this.idempotency.clear();
		this.assetSeq = 0;
		this.urlAssetCount = 0;
		this.seedProjects();
	}

	seedProjects(): void {
		const base = Date.UTC(2025, 5, 1);
		this.projects = [];
		for (const ws of this.opts.workspaces) {
			for (let i = 0; i < this.opts.projectsPerWorkspace; i++) {
				const round = Math.floor(i / PROJECT_NAMES.length);
				const created = base - i * 86_400_000 + 0.5; // fractional ms, as the spec's `number` allows
				this.projects.push({
					project_id: `prj_${createHash('sha1').update(`${ws.workspace_id}:${i}`).digest('hex').slice(0, 20)}`,
					name: PROJECT_NAMES[i % PROJECT_NAMES.length] + (round ? ` ${round + 1}` : ''),
					workspace_id: ws.workspace_id,
					origin: i % 3 === 0 ? 'app' : i % 3 === 1 ? 'api' : null,
					created_at: created,
					last_modified: i % 4 === 3 ? null : created + 3_600_000 * (i + 1),
				});
			}
		}
	}

	workspace(id: string) {
		return this.opts.workspaces.find((w) => w.workspace_id === id);
	}

	/** Every configured key sees every configured workspace. */
	canSee(workspaceId: string | null): boolean {
		return workspaceId !== null && this.workspace(workspaceId) !== undefined;
	}

	// --- idempotency --------------------------------------------------------------------

	idempotencySeen(apiKey: string, key: string): { fingerprint: string } | undefined {
		const m = this.idempotency.get(apiKey);
		const e = m?.get(key);
		if (!e) return undefined;
		if (e.expires < Date.now()) {
			m!.delete(key);
			return undefined;
		}
		return e;
	}

	rememberIdempotency(apiKey: string, key: string, fingerprint: string, fromBody: boolean): void {
		let m = this.idempotency.get(apiKey);
		if (!m) this.idempotency.set(apiKey, (m = new Map()));
		m.set(key, {
			expires: Date.now() + (fromBody ? BODY_IDEMPOTENCY_TTL_MS : IDEMPOTENCY_TTL_MS),
			fingerprint,
		});
	}

	// --- assets -------------------------------------------------------------------------

	private baseAsset(p: {
		workspace_id: string;
		project_id?: string | null;
		via: UploadedVia;
		source: string;
		name: string | null;
		folder?: string | null;
		content_type: string | null;
	}): AssetState {
		const id = newId('asset');
		const now = Date.now();
		const fileName = p.name ?? `${id}${extFor(p.content_type ?? undefined)}`;
		return {
			asset_id: id,
			workspace_id: p.workspace_id,
			project_id: p.project_id ?? null,
			status: 'pending_upload',
			uploaded_via: p.via,
			source: p.source,
			name: p.name,
			description: null,
			folder: p.folder ?? null,
			content_type: p.content_type,
			upload_content_type: null,
			size_bytes: null,
			width: null,
			height: null,
			sha256: null,
			url:
				this.opts.assetUrlStyle === 'cdn' && this.ctx().gen?.cdn.origin
					? this.ctx().gen.cdn.origin + this.ctx().gen.cdn.assetPath(id, fileName)
					: `https://ik.imagekit.io/flora-sim/${p.workspace_id}/${id}/${encodeURIComponent(fileName)}`,
			created_at: new Date(now).toISOString(),
			created_at_ms: now,
			failure_message: null,
			polls: 0,
			completes: 0,
			forms: 0,
			uploads: 0,
			current_token: null,
			expires_at: null,
			seq: ++this.assetSeq,
			processing: false,
			pendingPolls: 0,
			outcome: null,
			form: null,
		};
	}

	createSigned(p: {
		workspace_id: string;
		project_id?: string;
		file_name?: string;
		folder?: string;
		content_type?: string;
	}): AssetState {
		const a = this.baseAsset({
			...p,
			via: 'signed_url',
			source: 'signed-url',
			name: p.file_name ?? null,
			content_type: p.content_type ?? typeFromName(p.file_name) ?? null,
		});
		this.assets.set(a.asset_id, a);
		return a;
	}

	createFromUrl(p: {
		source: string;
		workspace_id: string;
		project_id?: string;
		file_name?: string;
		folder?: string;
		content_type?: string;
	}): AssetState {
		const url = new URL(p.source);
		const raw = url.pathname.split('/').pop() || '';
		let lastSegment: string | null;
		try {
			lastSegment = decodeURIComponent(raw) || null;
		} catch {
			lastSegment = raw || null;
		}
		const name = p.file_name ?? lastSegment;
		const a = this.baseAsset({
			...p,
			via: 'url',
			name,
			content_type: p.content_type ?? typeFromName(url.pathname) ?? 'image/png',
		});
		// i-th URL asset fails when the running share crosses an integer: exact and deterministic.
		const i = this.urlAssetCount++;
		const share = this.opts.urlFailShare;
		const failByShare = Math.floor((i + 1) * share) > Math.floor(i * share);
		a.processing = true;
		a.pendingPolls = this.opts.urlReadyAfterPolls;
		a.outcome =
			failByShare || p.source.includes('fail')
				? {
						status: 'failed',
						failure_message: `Could not fetch the source URL: ${url.host} answered 404 Not Found.`,
					}
				: { status: 'ready', failure_message: null };
		this.assets.set(a.asset_id, a);
		return a;
	}

	createDirect(p: {
		workspace_id: string;
		project_id?: string;
		file_name?: string;
		folder?: string;
		content_type?: string;
		upload: UploadResult;
		bytes?: Buffer;
	}): AssetState {
		const contentType = p.content_type ?? p.upload.contentType ?? null;
		const a = this.baseAsset({
			...p,
			via: 'direct',
			source: 'direct',
			name: p.file_name ?? p.upload.fileName ?? null,
			content_type: contentType,
		});
		this.applyUpload(a, p.upload);
		if (p.bytes) a.bytes = p.bytes;
		this.finishProcessing(a, 0);
		this.assets.set(a.asset_id, a);
		return a;
	}

	/** A fresh form for the asset; the previous one stops working. */
	issueForm(a: AssetState, expired: boolean): UploadForm {
		if (a.form && a.form.state === 'issued') a.form.state = 'superseded';
		const token = randomUUID();
		const ttl = this.opts.uploadTtlSeconds;
		const expireUnix = Math.floor(Date.now() / 1000) + (expired ? -60 : ttl);
		const signature = createHmac('sha1', SIGNING_KEY)
			.update(token + String(expireUnix))
			.digest('hex');
		const style = this.opts.signedUploadStyle;
		const fileName = a.name ?? `${a.asset_id}${extFor(a.content_type ?? undefined)}`;
		const fields: Array<[string, string]> =
			style === 'put'
				? [
						['expire', String(expireUnix)],
						['signature', signature],
					]
				: [
						['token', token],
						['signature', signature],
						['expire', String(expireUnix)],
						['publicKey', PUBLIC_KEY],
						['fileName', fileName],
						...(a.folder
							? [['folder', `/flora/${a.workspace_id}/${a.folder}`] as [string, string]]
							: []),
						['useUniqueFileName', 'false'],
						[
							'customMetadata',
							JSON.stringify({ asset_id: a.asset_id, workspace_id: a.workspace_id }),
						],
					];
		const form: UploadForm = {
			token,
			assetId: a.asset_id,
			fields,
			fileField: 'file',
			expireUnix,
			expiresAt: new Date(expireUnix * 1000).toISOString(),
			style: style === 'put' ? 'put' : 'form',
			state: 'issued',
		};
		this.forms.set(token, form);
		a.form = form;
		a.forms++;
		a.current_token = token;
		a.expires_at = form.expiresAt;
		a.status = 'pending_upload';
		a.failure_message = null;
		a.processing = false;
		a.outcome = null;
		return form;
	}

	applyUpload(a: AssetState, u: UploadResult): void {
		a.size_bytes = u.size;
		a.sha256 = u.sha256;
		a.upload_content_type = u.contentType ?? null;
		if (!a.content_type) a.content_type = u.contentType ?? typeFromName(u.fileName) ?? null;
		if (!a.name && u.fileName) a.name = u.fileName;
		a.width = u.width;
		a.height = u.height;
		a.uploads++;
	}

	/** After complete (or a direct upload): decide the outcome, then wait `polls` GETs. */
	finishProcessing(a: AssetState, polls: number): void {
		let outcome: AssetState['outcome'] = { status: 'ready', failure_message: null };
		const type = a.content_type ?? a.upload_content_type;
		if (!a.size_bytes)
			outcome = { status: 'failed', failure_message: 'The uploaded file is empty.' };
		else if (!isAllowedType(type)) {
			outcome = {
				status: 'failed',
				failure_message: `Unsupported content type: ${type ?? 'unknown'}.`,
			};
		}
		a.outcome = outcome;
		a.processing = true;
		a.pendingPolls = polls;
		if (polls <= 0) this.settle(a);
	}

	settle(a: AssetState): void {
		if (!a.processing || !a.outcome) return;
		a.processing = false;
		a.status = a.outcome.status;
		a.failure_message = a.outcome.failure_message;
		if (a.status === 'ready' && a.uploaded_via === 'url') {
			const meta = fakeMetadata(a.source, a.content_type ?? 'image/png');
			a.size_bytes = meta.size;
			a.width = meta.width;
			a.height = meta.height;
		}
	}

	/** One GET /assets/{id}: counts the poll and advances pending work. */
	poll(a: AssetState): void {
		a.polls++;
		if (!a.processing) return;
		if (a.pendingPolls > 0) a.pendingPolls--;
		else this.settle(a);
	}

	seed(n: number, base: Partial<Asset> = {}): AssetState[] {
		const out: AssetState[] = [];
		const now = Date.now();
		for (let i = 0; i < n; i++) {
			const name = base.name !== undefined ? base.name : `Seed asset ${i + 1}.png`;
			const a = this.baseAsset({
				workspace_id: base.workspace_id ?? this.opts.workspaces[0].workspace_id,
				project_id: base.project_id ?? null,
				via: base.uploaded_via ?? 'signed_url',
				source: base.source ?? 'signed-url',
				name,
				folder: base.folder ?? null,
				content_type: base.content_type !== undefined ? base.content_type : 'image/png',
			});
			// Oldest first, one second apart, so newest-first order equals reverse seeding order.
			const created = base.created_at_ms ?? now - (n - i) * 1000;
			Object.assign(a, {
				status: 'ready',
				size_bytes: 1024 * (i + 1),
				width: 640,
				height: 480,
				upload_content_type: a.content_type,
				...base,
				asset_id: base.asset_id ?? a.asset_id,
				seq: a.seq,
				created_at_ms: created,
				created_at: new Date(created).toISOString(),
			});
			this.assets.set(a.asset_id, a);
			out.push(a);
		}
		return out;
	}
}

export function snapshot(a: AssetState): Asset {
	const {
		seq: _s,
		processing: _p,
		pendingPolls: _pp,
		outcome: _o,
		form: _f,
		bytes: _b,
		...rest
	} = a;
	return JSON.parse(JSON.stringify(rest)) as Asset;
}
