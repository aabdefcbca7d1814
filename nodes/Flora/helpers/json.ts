/** A response body as data: JSON text is parsed, anything else is returned as it came. */
export function parseJsonBody(body: unknown): unknown {
	if (typeof body !== 'string') return body;
	try {
		return JSON.parse(body);
	} catch {
		return body;
	}
}
