/** Base of every error the SSM document tooling raises on purpose; `name` is the subclass name. */
export class SsmDocumentToolError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A document failed the document checks; `problems` holds every finding, one sentence each. */
export class DocumentInvalidError extends SsmDocumentToolError {
  constructor(
    readonly document: string,
    readonly problems: readonly string[],
  ) {
    super(`Remediation document ${document} has ${problems.length} problem(s):\n  - ${problems.join('\n  - ')}`);
  }
}

/** The document's shape cannot be read at all (not an object, steps without names...). */
export class DocumentShapeError extends SsmDocumentToolError {}

/** The simulator cannot start or continue for a reason that is the test's, not the document's (bad parameters, unsupported action). */
export class SimulationError extends SsmDocumentToolError {}

/** An AWS service named by a document has no installed SDK v3 client, or the client has no such operation. */
export class UnknownOperationError extends SsmDocumentToolError {}
