const BEARER = /Bearer\s+[A-Za-z0-9._~+/=-]+/gi;
const FLORA_KEY = /sk_(live|test)_[A-Za-z0-9_-]+/g;

/**
 * Removes API keys from text before it reaches an error, an output item or a log:
 * FLORA or a proxy may echo request headers back in an error body.
 */
export function redactSecrets(text: string, secrets: string[] = []): string {
	let out = text;
	for (const secret of secrets) {
		if (secret) out = out.split(secret).join('[redacted]');
	}
	return out.replace(BEARER, 'Bearer [redacted]').replace(FLORA_KEY, '[redacted]');
}
