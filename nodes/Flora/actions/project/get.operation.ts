import { locatorValue, projectLocator } from '../../helpers/descriptions';
import { validateRequiredProjectId } from '../../helpers/validation';
import { getOneOperation } from '../getOne';

export const { description, prepare, execute } = getOneOperation({
	resource: 'project',
	properties: [
		projectLocator({
			name: 'project',
			required: true,
			description:
				'The project (FLORA canvas) to get: pick it from the list, or give its ID (starts with prj_, e.g. prj_abc123)',
		}),
	],
	path: (context, itemIndex) => {
		const projectId = validateRequiredProjectId(
			context,
			itemIndex,
			locatorValue(context.getNodeParameter('project', itemIndex)),
		);
		return `/projects/${encodeURIComponent(projectId)}`;
	},
});
