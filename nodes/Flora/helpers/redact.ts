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

/**
 * A URL fit for a message: the values of its query parameters (signatures,
 * tokens, expiry of a signed link) and any user info replaced; the host, path
 * and parameter names kept, so the user can still tell which file it was.
 */
export function redactUrl(url: string): string {
	let parsed: URL;
	try {
		parsed = new URL(url);
	} catch {
		return redactSecrets(url.split(/[?#]/)[0]);
	}
	const names = [...new Set(parsed.searchParams.keys())];
	const query = names.map((name) => `${encodeURIComponent(name)}=[redacted]`).join('&');
	const userInfo = parsed.username || parsed.password ? '[redacted]@' : '';
	return redactSecrets(
		`${parsed.protocol}//${userInfo}${parsed.host}${parsed.pathname}${query ? `?${query}` : ''}`,
	);
}
