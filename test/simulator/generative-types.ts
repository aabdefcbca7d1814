/** Types of the simulator's generative side: runs, models, techniques, CDN files, callbacks. */

export type RunStatus = 'pending' | 'running' | 'completed' | 'failed';
export type RunType = 'generation' | 'technique';
export type OutputType = 'imageUrl' | 'videoUrl' | 'audioUrl' | 'documentUrl' | 'text';

export const RUN_ERROR_CODES = [
	'GENERATION_PROVIDER_TIMEOUT',
	'GPU_PROVIDER_ERROR',
	'GENERATION_PROMPT_MODERATED',
	'BILLING_NOT_ENOUGH_CREDITS',
	'GENERATION_CANCELLED',
] as const;

export interface GenerativeOptions {
	/** CDN origin port (run outputs and asset files). Default random. */
	cdnPort?: number;
	/** Time a run takes from creation to its end. Default 4000 ms. */
	runDurationMs?: number;
	/** Share of the duration a run stays `pending` before `running`. Default 0.2. */
	runPendingShare?: number;
	/** Per model_id, technique_id or technique slug: run duration in ms. */
	runDurationOverrides?: Record<string, number>;
	/** Size of the large output (video upscale technique). Default 512 MiB. */
	largeOutputBytes?: number;
	/** Webhook signing secret per workspace id; missing ones are `whsec_sim_<workspace>`. */
	webhookSecrets?: Record<string, string>;
	/** Retries after a failed delivery (non-2xx or no answer). Default 3. */
	callbackRetries?: number;
	/** First retry delay; doubles on each retry. Default 1000 ms. */
	callbackBackoffMs?: number;
	/** A delivery attempt without an answer in this time counts as failed. Default 10000 ms. */
	callbackTimeoutMs?: number;
	/** 'ignore' (default): Authorization on the CDN is recorded and ignored; 'refuse': 400. */
	cdnAuthorization?: 'ignore' | 'refuse';
}

export interface RunMatch {
	runType?: RunType;
	/** model_id (generation) */
	model?: string;
	/** technique_id (technique) */
	technique?: string;
	/** Runs affected before the fault is used up. Default 1. */
	times?: number;
	/** Matching runs let through first. Default 0. */
	skip?: number;
}

export type RunFault = RunMatch &
	(
		| {
				kind: 'fail';
				code: string;
				message?: string;
				/** 'running' (default): fails after the pending phase, at the run's end time; 'pending': fails while still pending (half way through pending). */
				during?: 'pending' | 'running';
		  }
		| { kind: 'hang' }
	);

export type CallbackFault = RunMatch &
	(
		| { kind: 'duplicate' }
		/** Callback sent at the run's end; GET reads `running` (progress 0.99) for `lagMs` more. */
		| { kind: 'early'; lagMs?: number }
		| { kind: 'wrongSecret'; secret?: string }
		/** `t` this many seconds in the past (default 900). */
		| { kind: 'expired'; ageSeconds?: number }
		| { kind: 'unsigned' }
		/** Two v1 values: one with `otherSecret` (first), one with the workspace secret. */
		| { kind: 'rotated'; otherSecret?: string }
	);

export interface CdnFault {
	/** Path on the CDN origin (string = exact, RegExp = test), e.g. /\/outputs\//. Default any. */
	path?: string | RegExp;
	method?: string;
	times?: number;
	skip?: number;
	kind: 'reset' | 'status';
	/** reset: bytes of the body sent before the socket is destroyed. Default 0. */
	afterBytes?: number;
	/** status: the HTTP status answered. */
	status?: number;
}

/** A file the CDN serves; `sha256` is undefined until hashed (large files are hashed lazily). */
export interface CdnFile {
	/** Path on the CDN origin. */
	path: string;
	url: string;
	kind: 'png' | 'mp4' | 'wav' | 'pdf' | 'large' | 'asset';
	size: number;
	sha256?: string;
	content_type: string;
	file_name: string;
}

export interface RecordedRunOutput {
	output_id: string;
	type: OutputType;
	/** URL, or the text itself for `text`. */
	url: string;
	/** Media outputs: the file served at url (size, sha256, content_type, file_name). */
	file?: CdnFile;
}

export interface RecordedRun {
	run_id: string;
	run_type: RunType;
	workspace_id: string;
	project_id: string | null;
	model_id?: string;
	technique_id?: string;
	/** Idempotency-Key header of the creating request. */
	idempotency_key?: string;
	/** `idempotency_key` body field of the creating request. */
	body_idempotency_key?: string;
	callback_url?: string;
	duration_ms: number;
	created_at: number;
	/** Every status the run went through, in order, with unix ms. */
	timeline: Array<{ status: RunStatus; at: number }>;
	status: RunStatus;
	error_code?: string;
	error_message?: string;
	charged_cost: number;
	outputs: RecordedRunOutput[];
	/** Injected run fault kind, if any ('fail' | 'hang'). */
	fault?: string;
	/** GET reads of this run (GET /runs/{id} or the technique path). */
	polls: number;
}

export interface RecordedCallback {
	/** `id` of the delivery (whd_…); retries and duplicates share it. */
	delivery_id: string;
	run_id: string;
	/** 1 for the first try, 2.. for retries. A `duplicate` fault's second send also counts up. */
	attempt: number;
	url: string;
	headers: Record<string, string>;
	body: string;
	/** Answered HTTP status, or 'error' when no answer came (see `error`). */
	status: number | 'error' | 'pending';
	error?: string;
	/** Injected callback fault kind, if any. */
	fault?: string;
	sent_at: number;
}

export interface RecordedDownload {
	seq: number;
	method: string;
	path: string;
	/** The file's kind, or undefined for an unknown path (404). */
	kind?: CdnFile['kind'];
	status: number | 'reset' | 'aborted' | 'pending';
	/** Body bytes written to the socket. */
	bytesSent: number;
	/** Full size of the file. */
	size?: number;
	/** The whole body went out. */
	completed: boolean;
	hasAuthorization: boolean;
	fault?: string;
	range?: string;
}

export interface GenerativeRecord {
	readonly runs: RecordedRun[];
	readonly callbacks: RecordedCallback[];
	readonly downloads: RecordedDownload[];
}

/** Test controls of the generative side (`sim.gen`). */
export interface GenerativeControls {
	/** The CDN origin (outputs and asset files; no key). */
	readonly cdnOrigin: string;
	/** Current webhook secret of a workspace (default: the first workspace). */
	webhookSecret(workspaceId?: string): string;
	/** Sets a workspace's webhook secret; returns the previous one. */
	rotateWebhookSecret(workspaceId?: string, next?: string): string;
	injectRunFault(fault: RunFault): void;
	injectCallbackFault(fault: CallbackFault): void;
	injectCdnFault(fault: CdnFault): void;
	clearFaults(): void;
	/** Snapshots of runs, newest last. */
	runs(filter?: { status?: RunStatus; runType?: RunType }): RecordedRun[];
	run(runId: string): RecordedRun | undefined;
	/** Ends a run now (e.g. one left hanging): completed with outputs, or failed with a code. */
	finishRun(runId: string, outcome?: { code: string; message?: string }): RecordedRun;
	/** The file at a CDN URL (or path), with its sha256 (hashed now if needed). */
	file(urlOrPath: string): Promise<CdnFile>;
	/** The CDN file of an asset (its `url`), or undefined while it has no bytes. */
	assetFile(assetId: string): Promise<CdnFile | undefined>;
	/** Resolves when every callback delivery in flight (retries included) is settled. */
	callbacksIdle(): Promise<void>;
}
