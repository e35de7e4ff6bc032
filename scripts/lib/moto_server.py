"""moto server, with the Resource Groups Tagging API answering for the types the pack reads tags of in bulk.

Run as `python3 scripts/lib/moto_server.py -H 127.0.0.1 -p PORT` (scripts/lib/moto-server.ts does); it takes
moto.server's arguments. moto 5.2.1's GetResources (moto/resourcegroupstaggingapi/models.py) leaves out Kinesis data
streams and Kinesis video streams ("# Kinesis" is an empty section), answers Firehose only for the bare `firehose`
filter (not `firehose:deliverystream`), and knows ElastiCache only under its own type names
(`elasticache:cache_clusters`, `elasticache:replication-group`), not AWS's (`elasticache:cluster`,
`elasticache:replicationgroup`, as in the ARNs). On AWS, "The GetResources, GetTagKeys, and GetTagValues operations
support all resource types" (https://docs.aws.amazon.com/resourcegroupstagging/latest/APIReference/supported-services.html).
This answers those filters from moto's own stores, with AWS's semantics (only resources tagged now or before are
returned), without walking moto's other services (which costs about 0.2 s after each reset); everything else
(paging, other filters, authorization) stays moto's. MemoryDB clusters (`memorydb:cluster`) are answered the same way.

moto 5.2.1 models MemoryDB clusters, tags and UpdateCluster, but not ACLs or users. DescribeACLs, DescribeUsers,
CreateACL and CreateUser are faked below in moto's own MemoryDB response class (so moto still authorizes them, under
memorydb:<Action>), with the shapes of the botocore model (memorydb-2021-01-01 ACL, User, Authentication) and the
built-ins every account has: the user `default` (no-password, "on ~* &* +@all") and the ACL `open-access` holding it.
"""

import json
import sys
from datetime import datetime, timezone

from urllib.parse import urlparse

from moto.core.authorization import ActionAuthenticatorMixin
from moto.core.exceptions import JsonRESTError
from moto.elasticache.models import elasticache_backends
from moto.firehose.models import firehose_backends
from moto.kinesis.models import kinesis_backends
from moto.kafka import models as kafka_models
from moto.kinesisvideo.models import kinesisvideo_backends
from moto.memorydb.models import memorydb_backends
from moto.memorydb.responses import MemoryDBResponse
from moto.resourcegroupstaggingapi.models import ResourceGroupsTaggingAPIBackend
from moto.server import main

_original = ResourceGroupsTaggingAPIBackend._get_resources_generator


def _pairs(tags):
    return [{"Key": k, "Value": v} for k, v in (tags or {}).items()]


# AWS's type filter -> the (ARN, tags) of every such resource in moto's own stores.
_SOURCES = {
    "kinesis:stream": lambda a, r: ((s.arn, _pairs(s.tags)) for s in kinesis_backends[a][r].streams.values()),
    "kinesisvideo:stream": lambda a, r: ((s.arn, _pairs(s.tags)) for s in kinesisvideo_backends[a][r].streams.values()),
    "firehose:deliverystream": lambda a, r: (
        (d.delivery_stream_arn, firehose_backends[a][r].tagger.list_tags_for_resource(d.delivery_stream_arn)["Tags"])
        for d in firehose_backends[a][r].delivery_streams.values()
    ),
    "elasticache:replicationgroup": lambda a, r: (
        (g.arn, elasticache_backends[a][r].tagging_service.list_tags_for_resource(g.arn)["Tags"])
        for g in elasticache_backends[a][r].replication_groups.values()
    ),
    "elasticache:cluster": lambda a, r: (
        (c.arn, elasticache_backends[a][r].tagging_service.list_tags_for_resource(c.arn)["Tags"])
        for c in elasticache_backends[a][r].cache_clusters.values()
    ),
    "memorydb:cluster": lambda a, r: (
        (c.arn, memorydb_backends[a][r].tagger.list_tags_for_resource(c.arn)["Tags"])
        for c in memorydb_backends[a][r].clusters.values()
    ),
}


def _matches(tags, tag_filters):
    for f in tag_filters or []:
        values = f.get("Values") or []
        if not any(t["Key"] == f["Key"] and (not values or t["Value"] in values) for t in tags):
            return False
    return True


def _get_resources_generator(self, tag_filters=None, resource_type_filters=None):
    filters = list(resource_type_filters or [])
    ours = [f for f in filters if f in _SOURCES]
    # Filters moto knows itself (or none: everything) still go to moto's own answer, unchanged.
    if not filters or len(ours) < len(filters):
        yield from _original(self, tag_filters=tag_filters, resource_type_filters=[f for f in filters if f not in _SOURCES])
    for f in ours or (["kinesis:stream", "kinesisvideo:stream"] if not filters else []):
        for arn, tags in _SOURCES[f](self.account_id, self.region_name):
            # AWS returns only resources tagged now or before; never-tagged ones are absent.
            if tags and _matches(tags, tag_filters):
                yield {"ResourceARN": arn, "Tags": tags}


ResourceGroupsTaggingAPIBackend._get_resources_generator = _get_resources_generator


# moto 5.2.1's MSK clusters carry `creationTime` as datetime.now().isoformat(), with no UTC offset; the SDK v3 reads
# the model's __timestampIso8601 only with one (botocore's kafka/2018-11-14 model: CreationTime __timestampIso8601),
# so every ListClustersV2/DescribeClusterV2 answer failed to parse. Only that field is corrected: UTC, with a `Z`.
_original_cluster_init = kafka_models.FakeKafkaCluster.__init__


def _cluster_init(self, *args, **kwargs):
    _original_cluster_init(self, *args, **kwargs)
    self.creation_time = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


kafka_models.FakeKafkaCluster.__init__ = _cluster_init


# With IAM enforced, moto 5.2.1 verifies SigV4 against the decoded request path. An SDK signs the path as it sent it:
# a REST operation with an ARN in its path (MSK DescribeClusterV2 /api/v2/clusters/{clusterArn}, UpdateSecurity) is
# sent percent-encoded (arn%3Aaws%3Akafka...%2F...), so moto's signature never matched and every such call was
# refused (SignatureDoesNotMatch, 403) before any policy was read. The signature is checked here against the raw path
# (werkzeug's RAW_URI, which moto keeps as raw_path), for non-S3 services only (S3 signs its path unencoded).
_original_authorize = ActionAuthenticatorMixin._authenticate_and_authorize_action


def _authorize_with_raw_path(self, iam_request_cls, resource="*"):
    raw = getattr(self, "raw_path", None)
    uri = getattr(self, "uri", None)
    if iam_request_cls.__name__ != "IAMRequest" or not raw or not uri:
        return _original_authorize(self, iam_request_cls, resource)
    parsed = urlparse(uri)
    if raw == parsed.path:
        return _original_authorize(self, iam_request_cls, resource)
    self.uri = parsed._replace(path=raw).geturl()
    try:
        return _original_authorize(self, iam_request_cls, resource)
    finally:
        self.uri = uri


ActionAuthenticatorMixin._authenticate_and_authorize_action = _authorize_with_raw_path
# --- MemoryDB ACLs and users (absent from moto 5.2.1) ---------------------------------------------------------


def _memorydb_rbac(response):
    """The ACLs and users of the request's account and region, with the built-ins, kept on moto's backend."""
    backend = response.memorydb_backend
    if not hasattr(backend, "hipaa_rbac"):
        prefix = f"arn:aws:memorydb:{backend.region_name}:{backend.account_id}"
        backend.hipaa_rbac = {
            "prefix": prefix,
            "users": {
                "default": {
                    "Name": "default",
                    "Status": "active",
                    "AccessString": "on ~* &* +@all",
                    "ACLNames": ["open-access"],
                    "MinimumEngineVersion": "6.0",
                    "Authentication": {"Type": "no-password"},
                    "ARN": f"{prefix}:user/default",
                }
            },
            "acls": {
                "open-access": {
                    "Name": "open-access",
                    "Status": "active",
                    "UserNames": ["default"],
                    "MinimumEngineVersion": "6.2",
                    "Clusters": [],
                    "ARN": f"{prefix}:acl/open-access",
                }
            },
        }
    return backend.hipaa_rbac


def _json_error(code, message):
    raise JsonRESTError(code, message)


def _describe_acls(self):
    params = json.loads(self.body or "{}")
    acls = _memorydb_rbac(self)["acls"]
    name = params.get("ACLName")
    if name and name not in acls:
        return _json_error("ACLNotFoundFault", f"ACL {name} not found")
    return json.dumps({"ACLs": [acls[name]] if name else list(acls.values())})


def _describe_users(self):
    params = json.loads(self.body or "{}")
    users = _memorydb_rbac(self)["users"]
    name = params.get("UserName")
    if name and name not in users:
        return _json_error("UserNotFoundFault", f"User {name} not found")
    return json.dumps({"Users": [users[name]] if name else list(users.values())})


def _create_user(self):
    params = json.loads(self.body or "{}")
    rbac = _memorydb_rbac(self)
    mode = params.get("AuthenticationMode") or {}
    user = {
        "Name": params["UserName"],
        "Status": "active",
        "AccessString": params.get("AccessString", ""),
        "ACLNames": [],
        "MinimumEngineVersion": "6.0",
        # CreateUser takes password or iam (InputAuthenticationType); PasswordCount as DescribeUsers reports it.
        "Authentication": {"Type": mode.get("Type", "password"), **({"PasswordCount": len(mode["Passwords"])} if mode.get("Passwords") else {})},
        "ARN": f"{rbac['prefix']}:user/{params['UserName']}",
    }
    rbac["users"][user["Name"]] = user
    return json.dumps({"User": user})


def _create_acl(self):
    params = json.loads(self.body or "{}")
    rbac = _memorydb_rbac(self)
    names = params.get("UserNames") or []
    missing = [n for n in names if n not in rbac["users"]]
    if missing:
        return _json_error("UserNotFoundFault", f"User {missing[0]} not found")
    acl = {
        "Name": params["ACLName"],
        "Status": "active",
        "UserNames": names,
        "MinimumEngineVersion": "6.2",
        "Clusters": [],
        "ARN": f"{rbac['prefix']}:acl/{params['ACLName']}",
    }
    rbac["acls"][acl["Name"]] = acl
    return json.dumps({"ACL": acl})


# moto dispatches an action to the method named camelcase_to_underscores(Action): DescribeACLs -> describe_ac_ls.
MemoryDBResponse.describe_ac_ls = _describe_acls
MemoryDBResponse.describe_users = _describe_users
MemoryDBResponse.create_user = _create_user
MemoryDBResponse.create_acl = _create_acl


if __name__ == "__main__":
    main(sys.argv[1:])
