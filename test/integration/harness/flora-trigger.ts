/** Shared set-up for the Flora Trigger's tests: signed deliveries and runs that call back. */
import { createHmac, randomBytes } from 'node:crypto';

import type { Simulator } from '../../simulator';

export const SECRET = 'whsec_trigger_test_5f0c3a9e1b7d4c2a';

export interface RunEvent {
	id: string;
	type: string;
	api_version: string;
	created_at: number;
	data: Record<string, unknown>;
}

export function runEvent(overrides: Partial<RunEvent> & { runId?: string } = {}): RunEvent {
	const { runId = 'run_forged0001', ...rest } = overrides;
	return {
		id: `whd_${randomBytes(12).toString('hex')}`,
		type: 'run.completed',
		api_version: '2026-06-11',
		created_at: Date.now(),
		data: { run_id: runId, run_type: 'generation', workspace_id: 'ws_demo', status: 'completed' },
		...rest,
	};
}

/** `v1` computed here with node:crypto, apart from the node's own code. */
export function sign(secret: string, t: number, body: Buffer): string {
	return createHmac('sha256', secret).update(`${t}.`).update(body).digest('hex');
}

export interface Forged {
	body: Buffer;
	headers: Record<string, string>;
}

/** A delivery as FLORA sends it, signed with `secrets` (several = rotation) unless told otherwise. */
export function forge(
	event: RunEvent,
	opts: { secrets?: string[]; t?: number; signature?: string | null; deliveryId?: string } = {},
): Forged {
	const body = Buffer.from(JSON.stringify(event));
	const t = opts.t ?? Math.floor(Date.now() / 1000);
	const signature =
		opts.signature !== undefined
			? opts.signature
			: [`t=${t}`, ...(opts.secrets ?? [SECRET]).map((s) => `v1=${sign(s, t, body)}`)].join(',');
	return {
		body,
		headers: {
			'content-type': 'application/json',
			'flora-webhook-id': opts.deliveryId ?? event.id,
			'flora-event': event.type,
			...(signature === null ? {} : { 'flora-signature': signature }),
		},
	};
}

export async function post(
	url: string,
	request: Forged,
): Promise<{ status: number; text: string; json: any }> {
	const response = await fetch(url, {
		method: 'POST',
		headers: request.headers,
		body: request.body,
	});
	const text = await response.text();
	let json: unknown;
	try {
		json = JSON.parse(text);
	} catch {
		json = undefined;
	}
	return { status: response.status, text, json };
}

async function api(sim: Simulator, method: string, path: string, body?: unknown) {
	const response = await fetch(`${sim.apiBaseUrl}${path}`, {
		method,
		headers: {
			authorization: `Bearer ${sim.apiKey}`,
			'content-type': 'application/json',
			'idempotency-key': randomBytes(8).toString('hex'),
		},
		body: body === undefined ? undefined : JSON.stringify(body),
	});
	const json = (await response.json()) as Record<string, any>;
	if (!response.ok)
		throw new Error(`${method} ${path} answered ${response.status}: ${JSON.stringify(json)}`);
	return json;
}

/** Starts a run in the simulator (calling back to `callbackUrl` if given); returns its run_id. */
export async function startRun(
	sim: Simulator,
	callbackUrl?: string,
	kind: 'generation' | 'technique' = 'generation',
): Promise<string> {
	if (kind === 'technique') {
		const run = await api(sim, 'POST', '/techniques/tech_caption_writer/runs', {
			workspace_id: 'ws_demo',
			inputs: [{ id: 'brief', type: 'text', value: 'A launch caption' }],
			callback_url: callbackUrl,
		});
		return run.run_id as string;
	}
	const { projects } = await api(sim, 'GET', '/projects?workspace_id=ws_demo');
	const run = await api(sim, 'POST', '/generate', {
		type: 'image',
		prompt: 'A red bicycle in the snow',
		workspace_id: 'ws_demo',
		project_id: projects[0].project_id,
		callback_url: callbackUrl,
	});
	return run.run_id as string;
}

/** Waits until the simulator has settled every callback (retries included). */
export async function callbacksSettled(sim: Simulator, runId: string, attempts = 1) {
	for (;;) {
		await sim.gen.callbacksIdle();
		const sent = sim.record.callbacks.filter((c) => c.run_id === runId && c.status !== 'pending');
		if (sent.length >= attempts) return sent;
		await new Promise((resolve) => setTimeout(resolve, 50));
	}
}
