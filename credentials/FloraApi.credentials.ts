import type {
	IAuthenticateGeneric,
	Icon,
	ICredentialTestRequest,
	ICredentialType,
	INodeProperties,
} from 'n8n-workflow';

export class FloraApi implements ICredentialType {
	name = 'floraApi';

	displayName = 'Flora API';

	icon: Icon = { light: 'file:flora.svg', dark: 'file:flora.dark.svg' };

	documentationUrl = 'https://developer.flora.ai/';

	properties: INodeProperties[] = [
		{
			displayName: 'API Key',
			name: 'apiKey',
			type: 'string',
			typeOptions: { password: true },
			required: true,
			default: '',
			placeholder: 'sk_live_…',
			description:
				'A FLORA API key (starts with sk_live_). Create one in FLORA under Settings → API keys. Each workspace has one active key.',
		},
		{
			displayName: 'Base URL',
			name: 'baseUrl',
			type: 'string',
			default: 'https://app.flora.ai/api/v1',
			description:
				'Change only for a proxy, a staging host or the local FLORA simulator. The key is sent to this host and nowhere else.',
		},
		{
			displayName: 'Webhook Secret',
			name: 'webhookSecret',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			placeholder: 'whsec_…',
			description:
				"FLORA's webhook signing secret for the workspace (starts with whsec_), shown in FLORA with the API key. Only the Flora Trigger uses it: it checks the Flora-Signature header of FLORA's run callbacks.",
		},
	];

	authenticate: IAuthenticateGeneric = {
		type: 'generic',
		properties: {
			headers: {
				Authorization: '=Bearer {{$credentials.apiKey}}',
			},
		},
	};

	// The Base URL as node runs use it (empty means FLORA's own, a trailing slash
	// is dropped), and the same rule: HTTPS, or plain HTTP to this machine only.
	// Redirects are not followed, so the key goes to this host and nowhere else.
	test: ICredentialTestRequest = {
		request: {
			baseURL:
				'={{ (() => { const url = (String($credentials.baseUrl || "").trim() || "https://app.flora.ai/api/v1").replace(/\\/+$/, ""); if (!/^(https:\\/\\/[^/]|http:\\/\\/(localhost|127\\.\\d+\\.\\d+\\.\\d+|\\[::1\\])(:\\d+)?(\\/|$))/i.test(url)) { throw new Error("The Base URL must start with https:// (plain http:// only for localhost): " + url); } return url; })() }}',
			url: '/workspaces',
			method: 'GET',
			disableFollowRedirect: true,
		},
	};
}
