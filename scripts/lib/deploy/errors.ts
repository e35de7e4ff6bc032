/** Base of every error the deployers raise on purpose; `name` is the subclass name. */
export class DeployError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A step sent a call its plan does not list: a bug, since the dry run would not have shown it. */
export class PlanViolationError extends DeployError {}

/** The credentials belong to another account than the one the command names. */
export class WrongAccountError extends DeployError {}

/** The organization or an account is not set up the way the deployment needs (all features, delegated admin...). */
export class PrerequisiteError extends DeployError {}

/** A StackSet operation ended FAILED or STOPPED; `failures` name each account and region with its reason. */
export class StackSetOperationError extends DeployError {
  constructor(
    message: string,
    readonly failures: readonly { account: string; region: string; status: string; reason: string }[],
  ) {
    super(message);
  }
}

/** A spoke stack instance is not SUCCEEDED: the conformance pack must not reach its account. */
export class SpokesNotReadyError extends DeployError {}

/** Something the deployer waits for did not finish in time. */
export class DeployTimeoutError extends DeployError {}

/** An external command (serverless) exited with an error. */
export class CommandFailedError extends DeployError {}

/** The organization conformance pack failed in member accounts. */
export class OrganizationPackError extends DeployError {}

/** A committed, generated template differs from what the catalog generates. */
export class TemplateDriftError extends DeployError {}
