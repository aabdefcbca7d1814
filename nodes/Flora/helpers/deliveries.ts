// Which FLORA webhook deliveries (`Flora-Webhook-Id`, `whd_…`) a trigger already turned into an
// execution. FLORA retries a delivery up to 3 times with backoff, and may send one twice.

/** Delivery id → when it started an execution (ms since the epoch), oldest first. */
export type DeliveryLog = Record<string, number>;

export const DELIVERY_LOG_LIMITS = {
	/** Ids kept; FLORA's retries of one delivery span minutes, so this is generous. */
	maxIds: 1000,
	maxAgeMs: 24 * 60 * 60 * 1000,
};

/** Reads a log back from workflow static data, ignoring anything that is not id → time. */
export function readDeliveryLog(value: unknown): DeliveryLog {
	const log: DeliveryLog = {};
	if (!value || typeof value !== 'object' || Array.isArray(value)) return log;
	for (const [id, at] of Object.entries(value as Record<string, unknown>)) {
		if (typeof at === 'number' && Number.isFinite(at)) log[id] = at;
	}
	return log;
}

export function hasDelivery(log: DeliveryLog, id: string, nowMs: number): boolean {
	const at = log[id];
	return at !== undefined && nowMs - at <= DELIVERY_LOG_LIMITS.maxAgeMs;
}

/** A new log with `id` added, ids older than 24 h dropped and at most the newest 1,000 kept. */
export function withDelivery(log: DeliveryLog, id: string, nowMs: number): DeliveryLog {
	const kept = Object.entries(log)
		.filter(([known, at]) => known !== id && nowMs - at <= DELIVERY_LOG_LIMITS.maxAgeMs)
		.sort((a, b) => a[1] - b[1])
		.slice(-(DELIVERY_LOG_LIMITS.maxIds - 1));
	return Object.fromEntries([...kept, [id, nowMs]]);
}

// Deliveries this n8n process is handling or has accepted. Static data reaches the database
// only after the answer (or, on some n8n versions, only with the execution's end), so a copy
// arriving meanwhile would not find the id there yet.
const inProcess = new Map<string, { accepted: boolean; at: number }>();
// A claim older than this was left behind by something that never finished; take it over.
const CLAIM_EXPIRY_MS = 10 * 60 * 1000;

export type DeliveryClaim = 'claimed' | 'inProgress' | 'accepted';

/** Claims a delivery for this process, unless another request handles or handled it. */
export function claimDelivery(scope: string, id: string, nowMs: number): DeliveryClaim {
	const key = `${scope}\u0000${id}`;
	const entry = inProcess.get(key);
	if (entry?.accepted && nowMs - entry.at <= DELIVERY_LOG_LIMITS.maxAgeMs) return 'accepted';
	if (entry && !entry.accepted && nowMs - entry.at < CLAIM_EXPIRY_MS) return 'inProgress';
	inProcess.delete(key);
	inProcess.set(key, { accepted: false, at: nowMs });
	// Bounded like the saved log: the oldest entries go first (a Map keeps insertion order).
	for (const oldest of inProcess.keys()) {
		if (inProcess.size <= DELIVERY_LOG_LIMITS.maxIds) break;
		inProcess.delete(oldest);
	}
	return 'claimed';
}

/** The claimed delivery started an execution: later copies are repeats. */
export function acceptDelivery(scope: string, id: string, nowMs: number): void {
	inProcess.set(`${scope}\u0000${id}`, { accepted: true, at: nowMs });
}

/** The claimed delivery failed: FLORA's next try is handled afresh. */
export function releaseDelivery(scope: string, id: string): void {
	const key = `${scope}\u0000${id}`;
	if (inProcess.get(key)?.accepted === false) inProcess.delete(key);
}
