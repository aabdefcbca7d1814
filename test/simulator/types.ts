export type AssetStatus = 'pending_upload' | 'ready' | 'failed';
export type UploadedVia = 'signed_url' | 'url' | 'direct';
export type Origin = 'api' | 'upload' | 'redirect';

export interface WorkspaceSeed {
	workspace_id: string;
	name: string;
	/** 'viewer' may read but not create assets (403 forbidden). Default 'owner'. */
	role?: string;
}

export interface SimulatorOptions {
	host?: string;
	apiPort?: number;
	uploadPort?: number;
	redirectPort?: number;
	apiKeys?: string[];
	workspaces?: WorkspaceSeed[];
	projectsPerWorkspace?: number;
	/** URL-source assets: GET /assets/{id} polls answered pending before the final state. */
	urlReadyAfterPolls?: number;
	/** 0..1, deterministic share of URL-source assets that end failed. Any source URL containing 'fail' always fails. */
	urlFailShare?: number;
	/** Signed-url assets after complete: polls answered pending before ready (0 => complete answers ready). */
	signedReadyAfterPolls?: number;
	latencyMs?: number;
	uploadTtlSeconds?: number;
	/** Key naming of the `upload` object: spec (snake), the docs example (camel), or both sets of keys. */
	uploadShape?: 'snake' | 'camel' | 'both';
	/**
	 * 'form' (ImageKit, default): multipart POST to upload.url with form_fields; upload_url is the plain URL.
	 * 'put': no `upload` object; upload_url is a presigned URL that takes the raw bytes by PUT
	 * (the SDK's fallback path).
	 * 'policy': no `upload` object; upload_url is the form's policy serialized as JSON,
	 * `{"url","fields"}`, sent as a multipart POST (the newer SDK's reading).
	 */
	signedUploadStyle?: 'form' | 'put' | 'policy';
	/** Upload host size limit (ImageKit plans: 25 MB to 2 GB). Default 2 GiB. */
	uploadMaxBytes?: number;
	/** Direct multipart POST /assets limit. Default 4 MiB. */
	directMaxBytes?: number;
	/**
	 * Refuse the direct multipart POST /assets, as a FLORA (or a proxy) without it
	 * would: 404 `not_found`, 405, 415, `'invalid_json'` (400, the body read as
	 * JSON) or `'source_required'` (400 `input_validation_error`, field `source`).
	 * Nothing is created or remembered. Default null: accepted.
	 */
	directRefusal?: DirectRefusal | null;
	quiet?: boolean;
}

export type DirectRefusal = 404 | 405 | 415 | 'invalid_json' | 'source_required';

export type ResolvedOptions = Required<Omit<SimulatorOptions, 'workspaces'>> & {
	workspaces: Array<Required<WorkspaceSeed>>;
};

export interface Asset {
	asset_id: string;
	workspace_id: string;
	project_id: string | null;
	status: AssetStatus;
	uploaded_via: UploadedVia;
	/** 'signed-url', the source URL, or 'direct'. */
	source: string;
	name: string | null;
	description: string | null;
	folder: string | null;
	content_type: string | null;
	upload_content_type: string | null;
	size_bytes: number | null;
	width: number | null;
	height: number | null;
	/** Hex sha256 of the uploaded bytes (signed and direct uploads). */
	sha256: string | null;
	/** The bytes of a direct upload, served at the asset's CDN path; not in snapshots. */
	bytes?: Buffer;
	url: string;
	/** ISO 8601. */
	created_at: string;
	created_at_ms: number;
	failure_message: string | null;
	/** GET /assets/{id} answered for this asset. */
	polls: number;
	/** Successful POST /complete calls. */
	completes: number;
	/** Upload forms issued (create + retries). */
	forms: number;
	/** Uploads the upload host accepted for this asset. */
	uploads: number;
	current_token: string | null;
	expires_at: string | null;
}

export interface FaultMatch {
	target: 'api' | 'upload';
	method?: string;
	/** Path without query; for api the part after /api/v1 (e.g. '/assets'). */
	path?: string | RegExp;
	/** Matches affected before the fault is used up. Default 1. */
	times?: number;
	/** Matches let through before the fault starts to apply. Default 0. */
	skip?: number;
	/** API only: match only JSON requests or only multipart ones (the direct POST /assets). */
	requestBody?: 'json' | 'multipart';
}

export type FaultAction =
	| {
			kind: 'status';
			status: number;
			code?: string;
			message?: string;
			retryAfter?: string;
			body?: unknown;
			/** Sent as it is with this Content-Type instead of JSON (e.g. a proxy's HTML page). */
			rawBody?: string;
			contentType?: string;
	  }
	| { kind: 'reset'; afterBytes?: number }
	| { kind: 'delay'; ms: number }
	| { kind: 'lostResponse' }
	| { kind: 'expireForm' }
	| { kind: 'redirect'; status?: 307 | 308 }
	| { kind: 'echoAuth'; status?: number };

export type Fault = FaultMatch & FaultAction;

export type RequestStatus = number | 'reset' | 'lost' | 'aborted' | 'pending';

export interface RecordedRequest {
	seq: number;
	origin: Origin;
	method: string;
	/** Without query; on the api origin the part after /api/v1. */
	path: string;
	query: Record<string, string | string[]>;
	/** Lowercased names; the authorization value is replaced by '[present]'. */
	headers: Record<string, string>;
	hasAuthorization: boolean;
	idempotencyKey?: string;
	status: RequestStatus;
	requestId?: string;
	bodyBytes: number;
	startedAt: number;
	endedAt?: number;
	/** Kind of the injected fault that hit this request, if any. */
	fault?: string;
}

export interface RecordedUpload {
	origin: Origin;
	requestSeq: number;
	method: string;
	assetId?: string;
	token: string;
	/** Non-file parts in arrival order (for PUT uploads: the URL query parameters). */
	fields: Array<[string, string]>;
	fileField?: string;
	fileName?: string;
	partContentType?: string;
	size: number;
	sha256: string;
	contentLength: number | undefined;
	chunked: boolean;
	ok: boolean;
	status: RequestStatus;
	error?: string;
}

export type ViolationKind =
	| 'authorization-on-upload'
	| 'file-not-last'
	| 'missing-file'
	| 'missing-filename'
	| 'missing-part-content-type'
	| 'chunked-without-content-length'
	| 'content-length-mismatch'
	| 'fields-altered'
	| 'token-reused'
	| 'expired-form'
	| 'unknown-token'
	| 'not-multipart'
	| 'malformed-multipart'
	| 'upload-too-large'
	| 'bad-idempotency-reuse';

export interface Violation {
	origin: Origin;
	kind: ViolationKind;
	detail: string;
	requestSeq?: number;
}

export interface RequestFilter {
	origin?: Origin;
	method?: string;
	path?: string | RegExp;
}

export interface SimRecord {
	readonly requests: RecordedRequest[];
	readonly uploads: RecordedUpload[];
	readonly violations: Violation[];
	readonly creates: number;
	readonly completes: number;
	readonly retries: number;
	/** 409 idempotency_duplicate answers given. */
	readonly duplicatesPrevented: number;
	/** Recorded requests counted by answered status ('200', '409', 'reset', 'lost', …). */
	countByStatus(filter?: RequestFilter): Record<string, number>;
}

export interface Simulator {
	/** Credential base URL, e.g. http://127.0.0.1:PORT/api/v1 */
	apiBaseUrl: string;
	apiOrigin: string;
	uploadOrigin: string;
	redirectOrigin: string;
	/** uploadOrigin + '/api/v1/files/upload' */
	uploadUrl: string;
	/** First configured key. */
	apiKey: string;
	inject(fault: Fault): void;
	clearFaults(): void;
	record: SimRecord;
	assets(filter?: { status?: string }): Asset[];
	seedAssets(n: number, base?: Partial<Asset>): Asset[];
	reset(): void;
	configure(opts: Partial<SimulatorOptions>): void;
	close(): Promise<void>;
}

// --- generative side (declaration merging keeps the interfaces above untouched) ---------------

import type { GenerativeControls, GenerativeOptions, GenerativeRecord } from './generative-types';
export type * from './generative-types';

// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface SimulatorOptions extends GenerativeOptions {}

// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface SimRecord extends GenerativeRecord {}

export interface Simulator {
	/** CDN origin: run outputs and asset files, no key. */
	cdnOrigin: string;
	/** Webhook signing secret of the first workspace (`whsec_…`). */
	webhookSecret: string;
	/** Generation, techniques, runs, CDN files and callbacks: controls and faults. */
	gen: GenerativeControls;
}
