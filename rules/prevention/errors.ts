import { SafeguardsError } from '../runtime/errors';

/**
 * Resource properties (a template's or a hook request's) that CloudFormation itself would reject, or that the pack
 * cannot read: the message names the resource and every bad field. No verdict is invented for them.
 */
export class MalformedPropertiesError extends SafeguardsError {}

/**
 * A fact a safeguard needs that is not known before deployment and could not be read (no credentials, or the
 * value is only known once the stack exists): the verdict is UNKNOWN, naming `what`, never a silent pass.
 */
export class UnresolvedFactError extends SafeguardsError {
  constructor(readonly what: string) {
    super(`${what} is not known before deployment`);
  }
}
