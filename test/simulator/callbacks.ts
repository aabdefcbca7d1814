/**
 * Run callbacks (FLORA_API.md, "Run webhooks"): one signed POST per ended run to its
 * callback_url, retried with doubling backoff after a non-2xx answer or no answer.
 */
import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { CallbackFault, RecordedCallback } from './generative-types';
import type { RunState } from './runs';
import { floraSignatureHeader } from './signing';

export const WEBHOOK_API_VERSION = '2026-06-11';

export interface CallbackHooks {
	secret(workspaceId: string): string;
	retries(): number;
	backoffMs(): number;
	timeoutMs(): number;
}

export class Callbacks {
	private inFlight = new Set<Promise<void>>();
	private generation = 0;

	constructor(
		private readonly record: RecordedCallback[],
		private readonly hooks: CallbackHooks,
	) {}

	reset(): void {
		// Deliveries still retrying belong to the old generation and stop recording.
		this.generation++;
		this.inFlight.clear();
	}

	async idle(): Promise<void> {
		while (this.inFlight.size) await Promise.all([...this.inFlight]);
	}

	/** Sends the run's terminal event (with its callback fault, if any). */
	deliver(run: RunState): void {
		const url = run.rec.callback_url;
		if (!url) return;
		const r = run.rec;
		const event = {
			id: `whd_${randomBytes(12).toString('hex')}`,
			type: r.status === 'completed' ? 'run.completed' : 'run.failed',
			api_version: WEBHOOK_API_VERSION,
			created_at: Date.now(),
			data: {
				run_id: r.run_id,
				run_type: r.run_type,
				workspace_id: r.workspace_id,
				status: r.status,
				...(r.error_code ? { error_code: r.error_code, error_message: r.error_message } : {}),
			},
		};
		const body = JSON.stringify(event);
		const fault = run.callbackFault;
		const gen = this.generation;
		const task = (async () => {
			let attempt = 0;
			const sendOnce = async (): Promise<boolean> => {
				attempt++;
				return this.send(url, event.id, event.type, body, r, attempt, fault, gen);
			};
			let ok = await sendOnce();
			for (let i = 0; !ok && i < this.hooks.retries(); i++) {
				await new Promise((res) => setTimeout(res, this.hooks.backoffMs() * 2 ** i));
				if (gen !== this.generation) return;
				ok = await sendOnce();
			}
			if (ok && fault?.kind === 'duplicate' && gen === this.generation) await sendOnce();
		})();
		this.inFlight.add(task);
		void task.finally(() => this.inFlight.delete(task));
	}

	private async send(
		url: string,
		id: string,
		type: string,
		body: string,
		r: RunState['rec'],
		attempt: number,
		fault: CallbackFault | undefined,
		gen: number,
	): Promise<boolean> {
		const secret = this.hooks.secret(r.workspace_id);
		let t = Math.floor(Date.now() / 1000);
		let signature: string | undefined;
		switch (fault?.kind) {
			case 'unsigned':
				break;
			case 'wrongSecret':
				signature = floraSignatureHeader(fault.secret ?? 'whsec_wrong_secret', body, t);
				break;
			case 'expired':
				t -= fault.ageSeconds ?? 900;
				signature = floraSignatureHeader(secret, body, t);
				break;
			case 'rotated':
				signature = floraSignatureHeader(
					[fault.otherSecret ?? `whsec_previous_${r.workspace_id}`, secret],
					body,
					t,
				);
				break;
			default:
				signature = floraSignatureHeader(secret, body, t);
		}
		const headers: Record<string, string> = {
			'content-type': 'application/json',
			'content-length': String(Buffer.byteLength(body)),
			'user-agent': 'FLORA-Webhooks/1.0 (simulator)',
			'flora-webhook-id': id,
			'flora-event': type,
			...(signature ? { 'flora-signature': signature } : {}),
		};
		const entry: RecordedCallback = {
			delivery_id: id,
			run_id: r.run_id,
			attempt,
			url,
			headers,
			body,
			status: 'pending',
			...(fault ? { fault: fault.kind } : {}),
			sent_at: Date.now(),
		};
		if (gen === this.generation) this.record.push(entry);
		const status = await post(url, headers, body, this.hooks.timeoutMs());
		if (typeof status === 'number') entry.status = status;
		else {
			entry.status = 'error';
			entry.error = status.error;
		}
		return typeof status === 'number' && status >= 200 && status < 300;
	}
}

function post(
	url: string,
	headers: Record<string, string>,
	body: string,
	timeoutMs: number,
): Promise<number | { error: string }> {
	return new Promise((resolve) => {
		let u: URL;
		try {
			u = new URL(url);
		} catch {
			return resolve({ error: 'invalid URL' });
		}
		const send = u.protocol === 'https:' ? httpsRequest : httpRequest;
		const req = send(u, { method: 'POST', headers, agent: false }, (res) => {
			res.resume();
			res.on('end', () => resolve(res.statusCode ?? 0));
			res.on('error', (e) => resolve({ error: e.message }));
		});
		req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer in ${timeoutMs} ms`)));
		req.on('error', (e) => resolve({ error: e.message }));
		req.end(body);
	});
}
