/** Base of every error the pack raises on purpose; `name` is the subclass name so logs stay greppable. */
export class SafeguardsError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The Lambda event is not a valid AWS Config rule event. No verdict may be written for it. */
export class MalformedEventError extends SafeguardsError {}

/** A rule parameter has a value the safeguard cannot use: the customer's configuration error. */
export class InvalidParameterError extends SafeguardsError {
  constructor(
    readonly parameter: string,
    message: string,
  ) {
    super(message);
  }
}

/** An AWS API answered with something the pack cannot interpret (missing field, wrong type). */
export class InvalidResponseError extends SafeguardsError {
  /** `<Service>.<Operation>` whose answer it was, when known: failures name it like SDK errors. */
  readonly operation?: string;
  constructor(message: string, options?: ErrorOptions & { operation?: string }) {
    super(message, options);
    if (options?.operation) this.operation = options.operation;
  }
}

/** PutEvaluations kept rejecting evaluations after every retry: Config does not have these verdicts. */
export class PutEvaluationsError extends SafeguardsError {
  constructor(
    message: string,
    readonly failedResourceIds: readonly string[],
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The event comes from an account the deployment does not serve. */
export class ForeignAccountError extends SafeguardsError {}

/** Listing one or more resource kinds failed; verdicts for the kinds that could be listed were still sent. */
export class ListingError extends SafeguardsError {
  constructor(
    message: string,
    readonly resourceTypes: readonly string[],
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The deployment left out a setting the function needs (an environment variable, a parameter). */
export class ConfigurationError extends SafeguardsError {}

/** A rule that runs on periodic runs only got a change notification: it writes nothing rather than a wrong verdict. */
export class PeriodicOnlyRuleError extends SafeguardsError {}

/** One evaluation cannot be sent as it is (a ComplianceResourceId longer than PutEvaluations accepts). */
export class UnsendableEvaluationError extends SafeguardsError {}

/**
 * AWS Config was required as the source (`requireConfig`: `scan --source config`) and cannot be it for this type;
 * the message says why (no recorder, not recording, the type not recorded or not continuously, the pack reads the
 * type only from the service API). The listing fails instead of reading the service API.
 */
export class ConfigSourceRequiredError extends SafeguardsError {
  constructor(
    readonly resourceType: string,
    readonly reason: string,
  ) {
    super(`AWS Config was required as the source of ${resourceType} and cannot be: ${reason}.`);
  }
}
