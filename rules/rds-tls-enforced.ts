import { type Verdict, compliant, nonCompliant, notApplicable } from './runtime/compliance';
import { createRuleHandler } from './runtime/handler';
import { Severity, Trigger, defineSafeguard } from './runtime/safeguard';
import {
  type OptionGroupFacts,
  type ParameterGroupFacts,
  type ParameterGroupScope,
  type RdsDatabase,
  isDefaultGroup,
  optionGroupFacts,
  parameterGroupFacts,
  rdsLabel,
  rdsResource,
} from './resources/rds';
import { compareVersions } from './resources/elasticache';

const CITATION = '45 CFR 164.312(e)(2)(ii)';

/**
 * How each engine refuses plaintext connections, and the engine default where the group does not set it. Sources:
 * - PostgreSQL (RDS): `rds.force_ssl` in the DB parameter group, dynamic. Default 1 from PostgreSQL 15, 0 before: the
 *   RDS user guide page PostgreSQL.Concepts.General.SSL.html opens "By default, RDS for PostgreSQL uses and expects all
 *   clients to connect using SSL/TLS", and its section "Requiring an SSL connection to a PostgreSQL DB instance" gives
 *   the 15+ default (the reference corpus searched while writing this returned the page, not that section's sentence:
 *   the version boundary is AWS's 2023 change for PostgreSQL 15, re-check it against the live page).
 * - SQL Server: `rds.force_ssl` in the DB parameter group, default 0, static (SQLServer.Concepts.General.SSL.Using.html).
 * - MySQL, MariaDB: `require_secure_transport`, default OFF (mysql-ssl-connections.html, mariadb-ssl-connections.html).
 * - Aurora MySQL: `require_secure_transport` in the DB cluster parameter group, default OFF (AuroraMySQL.Security.html).
 * - Aurora PostgreSQL: `rds.force_ssl` in the DB cluster parameter group, default 0 (AWS re:Post knowledge center
 *   aurora-postgresql-ssl-certificates: "The rds.force_ssl parameter is set to 0 by default").
 * - Multi-AZ DB clusters (engine mysql or postgres with a cluster): the same parameters, in the DB cluster parameter group.
 * - DocumentDB: `tls` in the DB cluster parameter group, default `enabled`; `disabled` accepts plaintext; enabled,
 *   fips-140-3, tls1.2+, tls1.3+ require TLS (DocumentDB developer guide, security.encryption.ssl.html and
 *   cluster_parameter_groups-list_of_parameters.html: "tls ... enabled ... static").
 * - Neptune: from engine 1.0.4.0 "Amazon Neptune only allows Secure Sockets Layer (SSL) connections through HTTPS to
 *   any instance or cluster endpoint" (Neptune user guide, security-ssl.html; What's New 2020-10-28: with 1.0.4.0
 *   "additional configuration and use of the neptune_enforce_ssl cluster parameter setting is no longer needed").
 *   Older engines: `neptune_enforce_ssl` in the DB cluster parameter group, default 1 for new groups ("any DB cluster
 *   that uses a new DB cluster parameter group is required to use SSL by default", same page).
 * - Oracle: no parameter. The `SSL` option of an option group opens a second port for TLS and leaves the plaintext
 *   listener open ("This approach allows both clear text and SSL-encrypted communication to occur at the same time",
 *   RDS user guide, Appendix.Oracle.Options.SSL.html), so it does not enforce anything by itself. What refuses
 *   unencrypted sessions is the `NATIVE_NETWORK_ENCRYPTION` option with `SQLNET.ENCRYPTION_SERVER` REQUIRED
 *   (Appendix.Oracle.Options.NetworkEncryption.html; Oracle.Concepts.NNE.html): Oracle native network encryption, not
 *   TLS, but it is what encrypts every session. This rule judges exactly that, from the instance's option groups.
 *   Closing the plaintext port with security groups, while only SSL is used, is not visible to this rule: exempt such
 *   an instance with the tag and the reason.
 */
interface TlsSetting {
  readonly parameter: string;
  readonly scope: ParameterGroupScope;
  /** Whether a value requires TLS. */
  enforces(value: string): boolean;
  /** The engine default where the group does not set the parameter (undefined: it depends on a version not known). */
  defaultValue(version: string | undefined): string | undefined;
}

const on = (v: string) => ['1', 'on', 'true'].includes(v.trim().toLowerCase());
const major = (version: string | undefined) => (version ? Number(/^(\d+)/.exec(version)?.[1]) : undefined);

function tlsSetting(db: RdsDatabase): TlsSetting | undefined {
  const engine = db.engine;
  const scope: ParameterGroupScope = db.kind;
  if (engine === 'postgres' || engine === 'aurora-postgresql') {
    return {
      parameter: 'rds.force_ssl',
      scope,
      enforces: on,
      defaultValue: (v) => {
        if (engine === 'aurora-postgresql') return '0';
        const m = major(v);
        return m === undefined || Number.isNaN(m) ? undefined : m >= 15 ? '1' : '0';
      },
    };
  }
  if (engine.startsWith('sqlserver')) return { parameter: 'rds.force_ssl', scope, enforces: on, defaultValue: () => '0' };
  if (engine === 'mysql' || engine === 'mariadb' || engine === 'aurora-mysql' || engine === 'aurora') {
    return { parameter: 'require_secure_transport', scope, enforces: on, defaultValue: () => '0' };
  }
  if (engine === 'docdb') return { parameter: 'tls', scope: 'cluster', enforces: (v) => v.trim().toLowerCase() !== 'disabled', defaultValue: () => 'enabled' };
  if (engine === 'neptune') return { parameter: 'neptune_enforce_ssl', scope: 'cluster', enforces: on, defaultValue: () => '1' };
  return undefined;
}

/** Neptune engines from 1.0.4.0 accept HTTPS only, whatever neptune_enforce_ssl says. */
const NEPTUNE_HTTPS_ONLY_FROM = '1.0.4.0';

const NNE = 'NATIVE_NETWORK_ENCRYPTION';

type Facts =
  | { readonly kind: 'none' }
  | { readonly kind: 'parameters'; readonly group: ParameterGroupFacts }
  | { readonly kind: 'options'; readonly groups: readonly OptionGroupFacts[] };

/**
 * Every DB instance and DB cluster requires encrypted connections, with the setting in force (not only saved).
 *
 * The value judged is the one in force: a group's status on the resource says whether its values apply
 * (DescribeDBInstances DBParameterGroups[].ParameterApplyStatus; DescribeDBClusters
 * DBClusterMembers[].DBClusterParameterGroupStatus). `in-sync` and `applying`: the group's value. `pending-reboot`:
 * a dynamic parameter (DescribeDBParameters ApplyType) is in force already; a static one only after a reboot, so a
 * static setting that requires TLS is not yet in force (NON_COMPLIANT until the reboot), and every such verdict says
 * a reboot is pending. Default groups (`default.*`) cannot be modified, so their values are the engine defaults; they
 * are judged from the table above without a call. Each custom group is read once per run, however many use it.
 *
 * Scenario 1: Given a DB instance that belongs to a DB cluster, Then NOT_APPLICABLE naming the cluster.
 * Scenario 2: Given an engine whose TLS setting this rule does not know (Db2, custom engines), Then NON_COMPLIANT.
 * Scenario 3: Given Neptune engine 1.0.4.0 or later, Then COMPLIANT (HTTPS only).
 * Scenario 4: Given a default group (or none declared) whose engine default requires TLS, Then COMPLIANT.
 * Scenario 5: Given a default group whose engine default does not require TLS, Then NON_COMPLIANT naming the fix
 *             (create a custom group with the parameter, attach it, reboot).
 * Scenario 6: Given a custom group that cannot be read, Then NON_COMPLIANT (cannot verify).
 * Scenario 7: Given a custom group whose value (or the engine default) requires TLS and is in force, Then COMPLIANT
 *             (a pending reboot for other parameters is named).
 * Scenario 8: Given a custom group whose static value requires TLS while a reboot is pending, Then NON_COMPLIANT.
 * Scenario 9: Given a custom group whose value (or the engine default) does not require TLS, Then NON_COMPLIANT.
 * Scenario 10: Given Oracle with NATIVE_NETWORK_ENCRYPTION and SQLNET.ENCRYPTION_SERVER REQUIRED, Then COMPLIANT.
 * Scenario 11: Given Oracle without it (no option, SSL option only, ENCRYPTION_SERVER other than REQUIRED), Then NON_COMPLIANT.
 * Scenario 12: Given Oracle and an option group that cannot be read, Then NON_COMPLIANT.
 * Scenario 13: Given PostgreSQL on its default group with no known engine version (a template without EngineVersion),
 *              Then NON_COMPLIANT (the default depends on the version).
 */
export const rdsTlsEnforced = defineSafeguard({
  name: 'rds-tls-enforced',
  title: 'RDS, Aurora, DocumentDB and Neptune databases accept only encrypted connections',
  description:
    'Checks that every RDS DB instance and DB cluster requires TLS (or, for Oracle, native network encryption) with the setting in force: rds.force_ssl, require_secure_transport, tls, neptune_enforce_ssl, or the Oracle NATIVE_NETWORK_ENCRYPTION option.',
  resource: rdsResource,
  // The parameter values are not in the configuration item: periodic, and the CloudTrail trigger
  // (rules/triggers/change-sources.ts, entry `rds`) after a parameter or option group changes.
  triggers: [Trigger.Periodic],
  hipaa: [CITATION],
  severity: Severity.High,
  parameters: {
    allowParameterGroupChanges: {
      type: 'boolean',
      default: false,
      description:
        'true lets HIPAA-RDSEnforceTls create or modify a custom parameter group to require TLS (never a default group; it never reboots). false: it notifies a person.',
    },
  },
  remediation: {
    document: 'HIPAA-RDSEnforceTls',
    automatic: false,
    resourceIdParameter: 'ResourceId',
    maximumAutomaticAttempts: 1,
    retryAttemptSeconds: 600,
    fixed: { ConfigRuleName: 'rds-tls-enforced', TopicArn: 'arn:{partition}:sns:{region}:{accountId}:{NotificationTopicName}' },
  },
  lookupActions: ['rds:DescribeDBParameters', 'rds:DescribeDBClusterParameters', 'rds:DescribeOptionGroups'],

  async gather(db, _params, lookup): Promise<Facts> {
    if (db.clusterId) return { kind: 'none' };
    if (db.engine.startsWith('oracle')) {
      return { kind: 'options', groups: await Promise.all(db.optionGroups.map((g) => optionGroupFacts(lookup, g))) };
    }
    const setting = tlsSetting(db);
    const group = db.parameterGroup?.name;
    if (!setting || !group || isDefaultGroup(group)) return { kind: 'none' };
    return { kind: 'parameters', group: await parameterGroupFacts(lookup, setting.scope, group) };
  },

  evaluate(db, _params, ctx): Verdict {
    const name = rdsLabel(db);
    if (db.clusterId) {
      // Scenario 1
      return notApplicable(`${name} belongs to DB cluster ${db.clusterId}, whose TLS setting is judged on the cluster. ${CITATION}`);
    }
    if (db.engine.startsWith('oracle')) return judgeOracle(db, name, ctx.facts);
    if (db.engine === 'neptune' && db.engineVersion && compareVersions(db.engineVersion, NEPTUNE_HTTPS_ONLY_FROM) >= 0) {
      // Scenario 3
      return compliant(`${name} accepts HTTPS only (Neptune engine ${db.engineVersion}, 1.0.4.0 or later). ${CITATION}`);
    }
    const setting = tlsSetting(db);
    if (!setting) {
      // Scenario 2
      return nonCompliant(`${name}: this rule does not know how engine ${db.engine} enforces TLS. Verify it and record the reason in the hipaa-safeguards:exempt tag. ${CITATION}`);
    }
    const p = setting.parameter;
    const groupName = db.parameterGroup?.name;
    const pending = db.parameterGroup?.status && db.parameterGroup.status !== 'in-sync' ? db.parameterGroup.status : undefined;
    const pendingNote = pending === 'pending-reboot' ? ' A reboot is pending (pending-reboot).' : pending ? ` Parameter group status: ${pending}.` : '';
    const groupKind = setting.scope === 'cluster' ? 'DB cluster parameter group' : 'DB parameter group';
    if (!groupName || isDefaultGroup(groupName)) {
      const shown = groupName ?? 'the default group';
      const value = setting.defaultValue(db.engineVersion);
      if (value === undefined) {
        // Scenario 13
        return nonCompliant(`${name} uses ${shown}, whose ${p} default depends on the engine version, which is not known. Set EngineVersion or attach a ${groupKind} with ${p} on. ${CITATION}`);
      }
      if (setting.enforces(value)) {
        // Scenario 4
        return compliant(`${name} requires TLS: ${p} defaults to ${value} in ${shown}.${pendingNote} ${CITATION}`);
      }
      // Scenario 5
      return nonCompliant(
        `${name} accepts plaintext: ${shown} cannot be modified and has ${p}=${value}. Create a custom ${groupKind} with ${p} on, attach it, reboot. ${CITATION}`,
      );
    }
    const facts = ctx.facts;
    if (facts.kind !== 'parameters' || facts.group.kind === 'unresolved') {
      const reason = facts.kind === 'parameters' && facts.group.kind === 'unresolved' ? facts.group.reason : 'not read';
      // Scenario 6
      return nonCompliant(`${name}: ${groupKind} ${groupName} cannot be read (${reason}), so TLS enforcement cannot be verified. ${CITATION}`);
    }
    const declared = facts.group.parameters[p];
    const value = declared?.value ?? setting.defaultValue(db.engineVersion);
    const source = declared?.value !== undefined ? `${p}=${declared.value} in ${groupName}` : `${p} not set in ${groupName} (engine default ${value ?? 'unknown'})`;
    if (value === undefined || !setting.enforces(value)) {
      // Scenario 9
      return nonCompliant(`${name} accepts plaintext: ${source}. Set ${p} on in ${groupName}${declared?.applyType === 'dynamic' ? '' : ' and reboot'}.${pendingNote} ${CITATION}`);
    }
    if (pending === 'pending-reboot' && declared?.applyType !== 'dynamic' && declared?.value !== undefined) {
      // Scenario 8
      return nonCompliant(`${name}: ${source} is not in force until the database reboots (pending-reboot). Reboot it in a maintenance window. ${CITATION}`);
    }
    // Scenario 7
    return compliant(`${name} requires TLS: ${source}.${pendingNote} ${CITATION}`);
  },
});

function judgeOracle(db: RdsDatabase, name: string, facts: Facts): Verdict {
  const groups = facts.kind === 'options' ? facts.groups : [];
  const unreadable = groups.find((g) => g.kind === 'unresolved');
  if (unreadable?.kind === 'unresolved') {
    // Scenario 12
    return nonCompliant(`${name}: option group ${unreadable.name} cannot be read (${unreadable.reason}), so encryption in transit cannot be verified. ${CITATION}`);
  }
  for (const g of groups) {
    if (g.kind !== 'resolved') continue;
    const nne = g.options[NNE];
    if (nne && (nne['SQLNET.ENCRYPTION_SERVER'] ?? '').toUpperCase() === 'REQUIRED') {
      // Scenario 10
      return compliant(`${name} requires encrypted sessions: option group ${g.name} has ${NNE} with SQLNET.ENCRYPTION_SERVER REQUIRED. ${CITATION}`);
    }
  }
  const ssl = groups.find((g) => g.kind === 'resolved' && g.options.SSL);
  // Scenario 11
  return nonCompliant(
    ssl
      ? `${name} still accepts plaintext: the SSL option of ${ssl.name} adds a TLS port but leaves the plaintext listener open. Add ${NNE} with SQLNET.ENCRYPTION_SERVER REQUIRED. ${CITATION}`
      : `${name} accepts plaintext: no option group (${db.optionGroups.join(', ') || 'none'}) has ${NNE} with SQLNET.ENCRYPTION_SERVER REQUIRED. Add it to a custom option group. ${CITATION}`,
  );
}

export const handler = /* @__PURE__ */ createRuleHandler(rdsTlsEnforced);
