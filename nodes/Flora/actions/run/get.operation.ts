import { validateRunId, validateTechniqueRef } from '../../helpers/validation';
import { getOneOperation } from '../getOne';

export const { description, prepare, execute } = getOneOperation({
	resource: 'run',
	properties: [
		{
			displayName: 'Run ID',
			name: 'runId',
			type: 'string',
			default: '',
			required: true,
			placeholder: 'run_abc123',
			description:
				'ID of the FLORA run, starting with run_: the run_id field of a generation or a technique run. The output has its status (pending, running, completed or failed), progress and, once completed, its outputs.',
		},
		{
			displayName: 'Technique ID',
			name: 'techniqueId',
			type: 'string',
			default: '',
			placeholder: 'tech_abc123',
			description:
				'For a technique run: the ID (starts with tech_) or slug of its technique, to read it through that technique. Leave empty for any run.',
		},
	],
	path: (context, itemIndex) => {
		const runId = validateRunId(context, itemIndex, context.getNodeParameter('runId', itemIndex));
		const techniqueId = validateTechniqueRef(
			context,
			itemIndex,
			'Technique ID',
			context.getNodeParameter('techniqueId', itemIndex, ''),
			false,
		);
		const run = encodeURIComponent(runId);
		return techniqueId
			? `/techniques/${encodeURIComponent(techniqueId)}/runs/${run}`
			: `/runs/${run}`;
	},
});
