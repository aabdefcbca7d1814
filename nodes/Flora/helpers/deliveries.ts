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

// Deliveries being handled right now in this n8n process. n8n saves static data only after the
// webhook has answered, so a copy of a delivery that arrives meanwhile (FLORA retrying a slow
// answer) would not yet see the id in the saved log.
const inFlight = new Map<string, number>();
// A claim older than this was left behind by something that never finished; take it over.
const CLAIM_EXPIRY_MS = 10 * 60 * 1000;

/** Claims a delivery for this process; false while another request handles the same one. */
export function claimDelivery(scope: string, id: string, nowMs: number): boolean {
	const key = `${scope}\u0000${id}`;
	const since = inFlight.get(key);
	if (since !== undefined && nowMs - since < CLAIM_EXPIRY_MS) return false;
	inFlight.set(key, nowMs);
	return true;
}

export function releaseDelivery(scope: string, id: string): void {
	inFlight.delete(`${scope}\u0000${id}`);
}
